#!/usr/bin/env node
// Thin launcher: the program is built by tsup from src/bin/lars-reporter.ts.
import "../dist/bin/lars-reporter.js";
