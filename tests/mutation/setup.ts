// The unit tier's setupFiles, for unit test files only: the integration tier sets its own environment.
// setupFilesAfterEnv runs before the test file is imported, so handlers reading config at import see it.
if (expect.getState().testPath?.includes('/tests/unit/')) require('../unit/env');
