/** Time bounds of a port query, checked once for every vendor. */
import { ToolError } from "../../core/errors.ts";

/** A query's time bound in ms since the epoch; BAD_INPUT naming the vendor and the bound when it is not one. */
export function queryInstant(value: string, name: string, vendor: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new ToolError("BAD_INPUT", `${vendor}: ${name} is not an ISO 8601 timestamp: ${value}`, { vendor });
  return ms;
}
