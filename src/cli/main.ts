#!/usr/bin/env node
/**
 * The `perdure` executable.
 *
 * @module
 */
import { run } from "./program.js";

process.exitCode = await run(process.argv);
