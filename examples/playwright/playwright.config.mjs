import { defineConfig } from '@playwright/test';

// Every test runs once per visitor language: the widget takes the browser's (navigator.languages).
export default defineConfig({
  testDir: 'tests',
  workers: 1,
  reporter: 'list',
  use: {
    baseURL: 'http://127.0.0.1:4311',
    browserName: 'chromium',
    // The machine's Chromium (Debian's package): no browser download.
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
  projects: [
    { name: 'en', use: { locale: 'en-US' } },
    { name: 'de', use: { locale: 'de-DE' } },
  ],
  webServer: { command: 'node serve.mjs 4311', url: 'http://127.0.0.1:4311/', reuseExistingServer: false },
});
