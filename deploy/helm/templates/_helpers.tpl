{{/* Names, labels and the values several templates share. */}}

{{- define "gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release name alone when it already contains the chart name, as most charts do. */}}
{{- define "gateway.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gateway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "gateway.labels" -}}
helm.sh/chart: {{ include "gateway.chart" . }}
{{ include "gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gateway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "gateway.secretName" -}}
{{- default (include "gateway.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "gateway.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}
{{- end }}

{{/* ceil(config.server.shutdownGraceMs / 1000): how long the gateway drains after SIGTERM. */}}
{{- define "gateway.drainSeconds" -}}
{{- div (add (dig "server" "shutdownGraceMs" 25000 .Values.config) 999) 1000 }}
{{- end }}

{{- define "gateway.terminationGracePeriodSeconds" -}}
{{- add .Values.lifecycle.preStopSleepSeconds (include "gateway.drainSeconds" .) .Values.lifecycle.terminationMarginSeconds }}
{{- end }}

{{/* DATABASE_URL and REDIS_URL: a plain value, or a key of a Secret (this release's unless another is named). */}}
{{- define "gateway.urlEnv" -}}
- name: {{ .name }}
{{- if .spec.url }}
  value: {{ .spec.url | quote }}
{{- else }}
  valueFrom:
    secretKeyRef:
      name: {{ default (include "gateway.secretName" .root) .spec.existingSecret }}
      key: {{ .spec.secretKey }}
{{- end }}
{{- end }}
