import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isToolError } from "../../core/errors.ts";
import { alertSchema, alertSummarySchema } from "../../core/domain.ts";
import { type AlertSource } from "../../core/ports.ts";
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

    const first = () => {
      const alert = ctx.fixture.alerts[0];
      if (!alert) throw new Error("the contract fixture needs at least one alert");
      return alert;
    };

    it("returns a known alert that parses as an Alert and keeps its observables", async () => {
      const expected = first();
      const alert = alertSchema.parse(await ctx.port.getAlert(expected.id));
      expect(alert).toMatchObject({ id: expected.id, family: expected.family, type: expected.type });
      expect(alert.observables).toEqual(expected.observables);
      expect(Date.parse(alert.createdAt)).toBe(Date.parse(expected.createdAt));
    });

    it("throws NOT_FOUND for an unknown id", async () => {
      const error = await ctx.port.getAlert(ctx.fixture.unknown.alertId).catch((e: unknown) => e);
      expect(isToolError(error) && error.code).toBe("NOT_FOUND");
    });

    it("lists every alert oldest first as summaries", async () => {
      const all = (await ctx.port.listAlerts({})).map((a) => alertSummarySchema.parse(a));
      expect(all.map((a) => a.id)).toEqual(ctx.fixture.alerts.map((a) => a.id));
      expect(all[0]).toMatchObject({ id: first().id, title: first().title, severity: first().severity });
    });

    it("lists only alerts created strictly after `since`", async () => {
      const since = first().createdAt;
      expect((await ctx.port.listAlerts({ since })).map((a) => a.id)).toEqual(
        ctx.fixture.alerts.slice(1).map((a) => a.id),
      );
      const last = ctx.fixture.alerts[ctx.fixture.alerts.length - 1];
      expect(await ctx.port.listAlerts({ since: last?.createdAt ?? "" })).toEqual([]);
    });

    it("honours the limit, keeping the oldest", async () => {
      expect((await ctx.port.listAlerts({ limit: 1 })).map((a) => a.id)).toEqual([first().id]);
    });
  });
}
