#!/usr/bin/env node
// Thin launcher: the program is built by tsup from src/bin/lars-route.ts.
import "../dist/bin/lars-route.js";
