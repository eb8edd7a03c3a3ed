import { describe, expect, it } from "vitest";
import { isToolError } from "../../../core/errors.ts";
import { fqlAll, fqlEquals, fqlString, fqlTime, plausibleName } from "./fql.ts";
import { matchesFql, parseFql } from "./testing/fake-fql.ts";

const codeOf = (run: () => unknown) => {
  try {
    run();
    return null;
  } catch (error) {
    return isToolError(error) ? error.code : "not a ToolError";
  }
};

describe("FQL translation", () => {
  it("quotes strings, escaping backslashes and single quotes", () => {
    expect(fqlString("WS-01")).toBe("'WS-01'");
    expect(fqlString("it's")).toBe("'it\\'s'");
    expect(fqlString("C:\\Temp\\")).toBe("'C:\\\\Temp\\\\'");
    expect(fqlString("a|b+c,d]")).toBe("'a|b+c,d]'");
  });

  it("keeps hostile values inside their quotes: the filter parses back to the same single value", () => {
    for (const hostile of ["x'+hostname:'*", "\\'", "a\\", "pipe | and + or , (paren) [list]", "ünï'cødé"]) {
      const node = parseFql(
        fqlAll(fqlEquals("hostname", hostile), fqlTime("last_seen", ">=", "2026-01-01T00:00:00Z")),
      );
      expect(node).toMatchObject({
        kind: "and",
        items: [{ field: "hostname", op: "", values: [hostile] }, { field: "last_seen" }],
      });
      expect(matchesFql(node, { hostname: hostile, last_seen: "2026-02-01T00:00:00Z" })).toBe(true);
      expect(matchesFql(node, { hostname: "WS-01", last_seen: "2026-02-01T00:00:00Z" })).toBe(false);
    }
  });

  it("refuses control characters, which FQL cannot express, with BAD_INPUT", () => {
    for (const value of ["a\nb", "a\rb", "nul\u0000", "tab\t"])
      expect(codeOf(() => fqlString(value))).toBe("BAD_INPUT");
  });

  it("matches any of several values with a list", () => {
    expect(fqlEquals("hostname", ["ws-01", "WS-01"])).toBe("hostname:['ws-01','WS-01']");
    expect(codeOf(() => fqlEquals("hostname", []))).toBe("BAD_INPUT");
  });

  it("compares times as UTC instants and refuses what is not a timestamp", () => {
    expect(fqlTime("created_timestamp", ">", "2026-11-03T12:00:00+02:00")).toBe(
      "created_timestamp:>'2026-11-03T10:00:00.000Z'",
    );
    expect(codeOf(() => fqlTime("created_timestamp", ">", "yesterday"))).toBe("BAD_INPUT");
    expect(codeOf(() => fqlTime("created_timestamp'+x", ">", "2026-11-03T10:00:00Z"))).toBe("BAD_INPUT");
  });

  it("joins terms with + and leaves out empty ones", () => {
    expect(fqlAll("a:'1'", "", "b:'2'")).toBe("a:'1'+b:'2'");
  });

  it("accepts only names Falcon could hold", () => {
    expect(
      ["WS-01", "web01.corp.test", "c36c42b64ce54b39a32e1d57240704c8", "host_1"].every(plausibleName),
    ).toBe(true);
    for (const hostile of ["*", "WS*", "a'b", "a b", "a\nb", "a|b", "", "-x", "x".repeat(300)])
      expect(plausibleName(hostile), hostile).toBe(false);
  });
});
