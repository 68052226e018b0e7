#!/usr/bin/env node
// Thin launcher: the program is built by tsup from src/bin/lars-agent.ts.
import "../dist/bin/lars-agent.js";
