#!/usr/bin/env node
// Thin launcher: the program is built by tsup from src/bin/lars-api-qps.ts.
import "../dist/bin/lars-api-qps.js";
