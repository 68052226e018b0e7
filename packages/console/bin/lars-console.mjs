#!/usr/bin/env node
// Thin launcher: the program is built by tsup from src/bin/lars-console.ts.
import "../dist/bin/lars-console.js";
