#!/usr/bin/env node
// Node 20 cannot run TypeScript directly: register tsx's loader, then hand over to the CLI.
import { register } from "tsx/esm/api";

register();
await import("../apps/cli.ts");
