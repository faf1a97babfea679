import type { KindDefinition } from "./common.js";
import { ecsClusterKind } from "./ecscluster.js";

/** Every kind the operator serves; the CRD generator and the controller registry read this list. */
export const kinds: KindDefinition[] = [ecsClusterKind];
