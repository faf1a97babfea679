/**
 * The name the operator signs its writes with: the field manager of every patch, create and
 * replace (what `kubectl get -o yaml --show-managed-fields` and Argo CD show as the owner of the
 * status and the finalizer), and the source of its Events. Without it the API server would
 * take the HTTP library's user agent ("node-fetch").
 */
export const FIELD_MANAGER = "ecs-operator";
