/**
 * The crash test (`npm run test:crash`): the service is killed with SIGKILL under webhook load.
 * Kept out of `npm test` (it takes minutes); CI runs it after the main suite.
 */
module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json', diagnostics: false }] },
  testMatch: ['<rootDir>/test/**/*.crash-spec.ts'],
  testTimeout: 600000,
};
