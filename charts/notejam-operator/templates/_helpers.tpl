{{/* The release's full name, used for every object (at most 63 characters). */}}
{{- define "notejam-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels that select the operator's pods: stable across upgrades. */}}
{{- define "notejam-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: manager
{{- end -}}

{{- define "notejam-operator.labels" -}}
{{ include "notejam-operator.selectorLabels" . }}
{{ include "notejam-operator.commonLabels" . }}
{{- end -}}

{{/* Labels of every object that are not part of the operator pods' selector. */}}
{{- define "notejam-operator.commonLabels" -}}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: notejam
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "notejam-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "notejam-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
repository:tag, pinned to @digest when a digest is given (immutable; the tag then only
tells people which release it is).
*/}}
{{- define "notejam-operator.image" -}}
{{- $image := printf "%s:%s" .Values.image.repository (default (printf "v%s" .Chart.AppVersion) .Values.image.tag) -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $image .Values.image.digest -}}
{{- else -}}
{{- $image -}}
{{- end -}}
{{- end -}}

{{/* The pull policy: as set, else IfNotPresent for a digest and Always for a tag alone. */}}
{{- define "notejam-operator.pullPolicy" -}}
{{- .Values.image.pullPolicy | default (ternary "IfNotPresent" "Always" (ne .Values.image.digest "")) -}}
{{- end -}}
