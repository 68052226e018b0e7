#!/usr/bin/env node
// Thin launcher: the program is built by tsup from src/bin/lars-simulator.ts.
import "../dist/bin/lars-simulator.js";
