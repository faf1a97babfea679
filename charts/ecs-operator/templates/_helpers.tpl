{{- define "ecs-operator.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ecs-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ecs-operator.labels" -}}
app.kubernetes.io/name: {{ include "ecs-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "ecs-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ecs-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ecs-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ecs-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The rules for the operator's own kinds: read and watch them, write finalizers and status. Never spec. */}}
{{- define "ecs-operator.crdRules" -}}
- apiGroups: ["ecs.operator.dev"]
  resources: [ecsclusters, taskdefinitions, ecsservices, targetgroups, listenerrules, cloudmapnamespaces, cloudmapservices, ecstasks, ecsschedules, capacityproviders]
  verbs: [get, list, watch, patch]
# The one object the operator deletes: a finished EcsTask past its spec.ttlSecondsAfterFinished.
- apiGroups: ["ecs.operator.dev"]
  resources: [ecstasks]
  verbs: [delete]
- apiGroups: ["ecs.operator.dev"]
  resources: [ecsclusters/status, taskdefinitions/status, ecsservices/status, targetgroups/status, listenerrules/status, cloudmapnamespaces/status, cloudmapservices/status, ecstasks/status, ecsschedules/status, capacityproviders/status]
  verbs: [get, patch, update]
- apiGroups: ["ecs.operator.dev"]
  resources: [ecsclusters/finalizers, taskdefinitions/finalizers, ecsservices/finalizers, targetgroups/finalizers, listenerrules/finalizers, cloudmapnamespaces/finalizers, cloudmapservices/finalizers, ecstasks/finalizers, ecsschedules/finalizers, capacityproviders/finalizers]
  verbs: [update]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- end -}}
