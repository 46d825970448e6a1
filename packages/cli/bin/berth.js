#!/usr/bin/env node
// berth, as installed: the bundle that `npm run build` makes of dist/main.js (scripts/bundle.mjs).
import "../dist/berth.js";
