{{/* Chart name, shortened to the 63 characters Kubernetes allows in names. */}}
{{- define "ecr.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Object names: <release>-<chart>, or the release alone when it already says it. */}}
{{- define "ecr.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "ecr.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels that select the pods; never change them on upgrade. */}}
{{- define "ecr.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ecr.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ecr.labels" -}}
{{ include "ecr.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: {{ .Values.metadata.component }}
app.kubernetes.io/part-of: {{ .Values.metadata.partOf }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* "true" for true or "true" (Kaa's chart types several switches as strings), else "false". */}}
{{- define "ecr.flag" -}}
{{- if eq (toString .) "true" }}true{{ else }}false{{ end -}}
{{- end -}}

{{/* The MongoDB URL handed to the pod: global, then override, then the bundled one; "" if none. */}}
{{- define "ecr.mongodbUrl" -}}
{{- if .Values.global.mongodb.url -}}
{{- tpl .Values.global.mongodb.url . -}}
{{- else if .Values.mongodb.urlOverride -}}
{{- tpl .Values.mongodb.urlOverride . -}}
{{- else if .Values.mongodb.enabled -}}
{{- tpl .Values.mongodb.url . -}}
{{- end -}}
{{- end -}}

{{/* Image pull secrets from the global and the chart's lists; entries may be names or {name: ...}. */}}
{{- define "ecr.imagePullSecrets" -}}
{{- range concat .Values.global.image.pullSecrets .Values.image.pullSecrets }}
- name: {{ if kindIs "map" . }}{{ .name }}{{ else }}{{ . }}{{ end }}
{{- end }}
{{- end -}}

{{/* The ecr container image. */}}
{{- define "ecr.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* One init container that waits for a TCP service; takes a dict of root ($), name, url and default port. An empty waitContainers.curl.image means the ecr image, which has curl. */}}
{{- define "ecr.waitContainer" -}}
{{- $curl := .root.Values.waitContainers.curl }}
- name: wait-{{ .name }}
  image: {{ if $curl.image }}"{{ $curl.image }}:{{ $curl.tag }}"{{ else }}{{ include "ecr.image" .root | quote }}{{ end }}
  imagePullPolicy: IfNotPresent
  command:
    - sh
    - /etc/ecr-wait/wait-for.sh
    - {{ .name | quote }}
    - {{ .url | quote }}
    - {{ .port | quote }}
    - {{ .root.Values.waitContainers.timeout | quote }}
  volumeMounts:
    - name: wait-script
      mountPath: /etc/ecr-wait
      readOnly: true
{{- end -}}
