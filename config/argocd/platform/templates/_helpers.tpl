{{/* The sync options and retry every Application here shares. */}}
{{- define "notejam-platform.syncPolicy" -}}
automated:
  prune: true
  selfHeal: true
syncOptions:
  - ServerSideApply=true
retry:
  limit: 10
  backoff:
    duration: 10s
    factor: 2
    maxDuration: 3m
{{- end -}}

{{/*
The digest an environment's release records for an image; refuses anything but a sha256
digest (the releases branch is written by CI, and its values land in image references).
*/}}
{{- define "notejam-platform.digest" -}}
{{- $digest := index .release.images .image | default "" -}}
{{- if not (regexMatch "^sha256:[0-9a-f]{64}$" $digest) -}}
{{- fail (printf "releases.%s.images.%s must be a sha256 digest, not %q" .environment .image $digest) -}}
{{- end -}}
{{- $digest -}}
{{- end -}}

{{/* An environment's release tag (dev, v<VERSION>-test, v<VERSION>), checked like the digests. */}}
{{- define "notejam-platform.tag" -}}
{{- if not (regexMatch "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$" (.release.tag | default "")) -}}
{{- fail (printf "releases.%s.tag must be an image tag, not %q" .environment (.release.tag | default "")) -}}
{{- end -}}
{{- .release.tag -}}
{{- end -}}
