#!/usr/bin/env node
// berthd, as installed: the bundle that `npm run build` makes of dist/main.js (scripts/bundle.mjs).
import "../dist/berthd.js";
