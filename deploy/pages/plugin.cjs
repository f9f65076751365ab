'use strict';
/**
 * Serverless plugin: builds the hosted pages (web/build.ts) into web/dist before the functions are
 * packaged (`serverless package`, `deploy`, `deploy function`) or served (`serverless offline`), so what
 * the pages function ships or serves is always built from the tree as it is. Once per command.
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

class HostedPages {
  constructor(serverless) {
    const build = () => buildPages(serverless);
    this.hooks = {
      'before:package:createDeploymentArtifacts': build,
      'before:deploy:function:packageFunction': build,
      'before:offline:start': build,
      'before:offline:start:init': build,
    };
  }
}

module.exports = HostedPages;
