import { describe, expect, it } from "vitest";
import { numberedPlaceholders } from "./placeholders.ts";

describe("numberedPlaceholders", () => {
  it("numbers each placeholder in order", () => {
    expect(
      numberedPlaceholders("INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT (a) DO UPDATE SET b = ?"),
    ).toEqual({
      text: "INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT (a) DO UPDATE SET b = $3",
      count: 3,
    });
  });

  it("leaves a ? in literals, quoted identifiers, comments and dollar quotes alone", () => {
    const sql = [
      "SELECT 'why?', 'it''s ?', \"odd?name\", ? -- trailing ?",
      "FROM t /* block ? */ WHERE x = ? AND y = $$ a ? $$ AND z = $q$ ? $q$ AND w = ?",
    ].join("\n");
    expect(numberedPlaceholders(sql)).toEqual({
      text: [
        "SELECT 'why?', 'it''s ?', \"odd?name\", $1 -- trailing ?",
        "FROM t /* block ? */ WHERE x = $2 AND y = $$ a ? $$ AND z = $q$ ? $q$ AND w = $3",
      ].join("\n"),
      count: 3,
    });
  });

  it("copies an unterminated literal to the end rather than numbering inside it", () => {
    expect(numberedPlaceholders("SELECT ? , 'open ?")).toEqual({ text: "SELECT $1 , 'open ?", count: 1 });
  });

  it("leaves a positional $1 (no placeholders) unchanged", () => {
    expect(numberedPlaceholders("SELECT $1::int")).toEqual({ text: "SELECT $1::int", count: 0 });
  });
});
