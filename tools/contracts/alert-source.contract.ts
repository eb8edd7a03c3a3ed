import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isToolError } from "../errors.ts";
import { FIXTURE } from "../lab/testing/fixture.ts";
import { alertSchema, alertSummarySchema, type AlertSource } from "../types.ts";
import type { ContractSetup } from "./types.ts";

/** Every AlertSource: fetches by id, lists oldest first after a watermark, NOT_FOUND for unknown ids. */
export function describeAlertSourceContract(
  name: string,
  setup: () => Promise<ContractSetup<AlertSource>>,
): void {
  describe(`AlertSource contract: ${name}`, () => {
    let ctx: ContractSetup<AlertSource>;
    beforeAll(async () => {
      ctx = await setup();
    });
    afterAll(async () => ctx.teardown?.());

    it("returns a known alert that parses as an Alert", async () => {
      const alert = await ctx.port.getAlert("FX-1");
      expect(alertSchema.parse(alert)).toMatchObject({
        id: "FX-1",
        family: "email",
        type: "user_reported_phish",
      });
    });

    it("throws NOT_FOUND for an unknown id", async () => {
      const error = await ctx.port.getAlert("NOPE-404").catch((e: unknown) => e);
      expect(isToolError(error) && error.code).toBe("NOT_FOUND");
    });

    it("lists alerts oldest first, after `since`, up to `limit`", async () => {
      const all = await ctx.port.listAlerts({});
      expect(all.map((a) => alertSummarySchema.parse(a).id)).toEqual(FIXTURE.alerts.map((a) => a.id));
      expect(
        (await ctx.port.listAlerts({ since: FIXTURE.alerts[0]?.createdAt ?? "" })).map((a) => a.id),
      ).toEqual(["FX-2"]);
      expect(await ctx.port.listAlerts({ limit: 1 })).toHaveLength(1);
    });
  });
}
