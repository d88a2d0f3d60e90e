// A serverless plugin (listed in serverless.yml) that refuses to DEPLOY with the placeholder KMS key of the
// `default` stage parameters: `serverless package` keeps working offline with it, but a stack deployed with
// key 000000000000/00000000-… could not encrypt its tables, topic or secrets. The check reads the
// KMS_KEY_ID the functions are given (after --param and per-stage parameters are applied).
'use strict';

const PLACEHOLDER_KMS_KEY = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000';

/** The problem with a stage's KMS key, or undefined. */
function kmsKeyProblem(key) {
  if (!key) return 'KMS_KEY_ID is not set';
  if (key === PLACEHOLDER_KMS_KEY || /:000000000000:key\//.test(key) || /key\/0{8}-0{4}-0{4}-0{4}-0{12}$/.test(key)) {
    return `KMS_KEY_ID is the placeholder ${key}`;
  }
  return undefined;
}

class DeployGuard {
  constructor(serverless) {
    this.serverless = serverless;
    const check = () => this.check();
    this.hooks = { 'before:deploy:deploy': check, 'before:deploy:function:initialize': check };
  }

  check() {
    const functions = Object.values(this.serverless.service.functions || {});
    const keys = new Set(functions.map((f) => (f.environment || {}).KMS_KEY_ID).filter(Boolean));
    const problem = keys.size === 0 ? kmsKeyProblem(undefined) : [...keys].map(kmsKeyProblem).find(Boolean);
    if (problem) {
      const Err = (this.serverless.classes && this.serverless.classes.Error) || Error;
      throw new Err(`${problem}: deploy with your customer managed key, --param="KMS_KEY_ID=arn:aws:kms:<region>:<account>:key/<id>" (docs/deploy.md, prerequisite 2)`);
    }
  }
}

module.exports = DeployGuard;
module.exports.kmsKeyProblem = kmsKeyProblem;
module.exports.PLACEHOLDER_KMS_KEY = PLACEHOLDER_KMS_KEY;
