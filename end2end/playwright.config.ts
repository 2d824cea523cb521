import { defineConfig } from '@playwright/test';

// The release server built by `cargo leptos build --release`, on a port of its own, with a
// fresh embedded database per run and known demo passwords.
const port = 3107;
const dataDir = `.data/run-${Date.now()}`;
export const DEMO_PASSWORD = 'demo password for browser tests';
export const BASE_URL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  use: {
    baseURL: BASE_URL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
  },
  webServer: {
    command: `../target/release/server serve --demo --simulate 20`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      ANPR_LISTEN: `127.0.0.1:${port}`,
      ANPR_DATABASE_URL: `sqlite://${dataDir}/anpr.db`,
      ANPR_SITE_ROOT: '../target/site',
      ANPR_IMAGES_URL: `file://${dataDir}/images`,
      ANPR_DEMO_PASSWORD: DEMO_PASSWORD,
      // Every search is drawn for the audit sample, so the auditor's page has one to show.
      ANPR_AUDIT_SAMPLE__OTHER_PERCENT: '100',
      ANPR_AUDIT_SAMPLE__BEYOND_STANDARD_PERCENT: '100',
      // Tiles would come from the internet, which tests do not reach.
      ANPR_MAP__TILE_URL: `http://127.0.0.1:${port}/no-tiles/{z}/{x}/{y}.png`,
    },
  },
});
