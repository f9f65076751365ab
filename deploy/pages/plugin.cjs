'use strict';
/**
 * Serverless plugin: builds the hosted pages (web/build.ts) into web/dist before the functions are
 * packaged (`serverless package`, `deploy`, `deploy function`) or served (`serverless offline`), so what
 * the pages function ships or serves is always built from the tree as it is. Once per command, and only
 * when the pages' inputs changed since the last build (web/build.ts ensureWebBuilt).
 *
 * serverless-offline runs the pages function in the service folder, where web/dist is: the function's
 * package patterns (web/dist/**) are for the zip only. They are dropped for `offline`, because
 * serverless-esbuild watches every package pattern and rebundles every function on each change in it,
 * which another stack's build of the pages would set off again and again.
 */
const { execFileSync } = require('node:child_process');
const path = require('node:path');

let built = false;
function buildPages(serverless) {
  if (built) return;
  built = true;
  const root = serverless.config.servicePath;
  execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'web/build.ts')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}

function dropPackagePatterns(serverless) {
  for (const fn of Object.values(serverless.service.functions ?? {})) {
    if (fn.package?.patterns?.some((pattern) => pattern.startsWith('web/dist'))) fn.package.patterns = [];
  }
}

class HostedPages {
  constructor(serverless) {
    const build = () => buildPages(serverless);
    const serve = () => {
      buildPages(serverless);
      dropPackagePatterns(serverless);
    };
    this.hooks = {
      'before:package:createDeploymentArtifacts': build,
      'before:deploy:function:packageFunction': build,
      'before:offline:start': serve,
      'before:offline:start:init': serve,
    };
  }
}

module.exports = HostedPages;
