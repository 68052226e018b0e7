#!/usr/bin/env node
// Thin launcher: the program is built by tsup from src/bin/lars.ts.
import "../dist/bin/lars.js";
