{{/* A git URL as Argo CD compares repositories: lower case, without a trailing / or .git. */}}
{{- define "notejam-bootstrap.normalizedURL" -}}
{{- . | lower | trimSuffix "/" | trimSuffix ".git" -}}
{{- end -}}
