#!/usr/bin/env node
/** Entry point of the `triage` command (bin/triage.js loads this through tsx). */
import { main } from "./main.ts";

process.exitCode = await main(process.argv);
