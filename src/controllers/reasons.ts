import { AWS_ERROR_REASONS } from "../aws/errors.js";
import { RUNTIME_REASONS } from "../runtime/conditions.js";
import { UNCLASSIFIED } from "../runtime/errors.js";
import { ROLLOUT_REASONS } from "./ecsservice/rollout.js";
import { TASK_REASONS } from "./ecstask/mapping.js";

/**
 * Every condition reason the operator writes: the runtime's own, the AWS error classification's,
 * and those each kind contributes. docs/design.md lists them and the Argo CD health script gives
 * each a health; tests hold both to this list.
 */
export const REASONS = [...RUNTIME_REASONS, UNCLASSIFIED, ...AWS_ERROR_REASONS, ...ROLLOUT_REASONS, ...TASK_REASONS] as const;
export type Reason = (typeof REASONS)[number];
