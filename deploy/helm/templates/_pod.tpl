{{/* The pod template shared by the Deployment and the StatefulSet (persistence.enabled). */}}
{{- define "gateway.podTemplate" -}}
metadata:
  labels:
    {{- include "gateway.labels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # A changed gateway.yaml (or chart-made Secret) rolls the pods.
    checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
    {{- if .Values.secrets.create }}
    checksum/secret: {{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}
    {{- end }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "gateway.serviceAccountName" . }}
  automountServiceAccountToken: {{ .Values.automountServiceAccountToken }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  # preStop sleep + the gateway's drain (config.server.shutdownGraceMs) + a margin for the final flush.
  terminationGracePeriodSeconds: {{ include "gateway.terminationGracePeriodSeconds" . }}
  containers:
    - name: gateway
      image: {{ include "gateway.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      ports:
        - name: http
          containerPort: {{ .Values.containerPort }}
          protocol: TCP
      env:
        - name: PORT
          value: {{ .Values.containerPort | quote }}
        - name: GATEWAY_CONFIG
          value: /etc/gateway/gateway.yaml
        - name: GATEWAY_DATA_DIR
          value: /data
        {{- include "gateway.urlEnv" (dict "root" . "name" "DATABASE_URL" "spec" .Values.database) | nindent 8 }}
        {{- if .Values.redis.enabled }}
        {{- include "gateway.urlEnv" (dict "root" . "name" "REDIS_URL" "spec" .Values.redis) | nindent 8 }}
        {{- end }}
        # Named here as well as through envFrom, so a Secret without them fails the pod at once, naming the key.
        - name: GATEWAY_ADMIN_KEY
          valueFrom:
            secretKeyRef:
              name: {{ include "gateway.secretName" . }}
              key: GATEWAY_ADMIN_KEY
        - name: GATEWAY_AUDIT_SIGNING_KEY
          valueFrom:
            secretKeyRef:
              name: {{ include "gateway.secretName" . }}
              key: GATEWAY_AUDIT_SIGNING_KEY
        {{- if .Values.metrics.public }}
        - name: GATEWAY_METRICS_PUBLIC
          value: "true"
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      envFrom:
        - secretRef:
            name: {{ include "gateway.secretName" . }}
        {{- with .Values.extraEnvFrom }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      startupProbe:
        httpGet:
          path: /healthz
          port: http
        {{- toYaml .Values.probes.startup | nindent 8 }}
      livenessProbe:
        httpGet:
          path: /healthz
          port: http
        {{- toYaml .Values.probes.liveness | nindent 8 }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: http
        {{- toYaml .Values.probes.readiness | nindent 8 }}
      {{- if .Values.lifecycle.preStopSleepSeconds }}
      lifecycle:
        preStop:
          exec:
            command: ["sleep", {{ .Values.lifecycle.preStopSleepSeconds | quote }}]
      {{- end }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/gateway
          readOnly: true
        - name: data
          mountPath: /data
        - name: tmp
          mountPath: /tmp
        - name: home
          mountPath: /home/node
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    # The directory, not a subPath: a subPath mount never sees ConfigMap updates.
    - name: config
      configMap:
        name: {{ include "gateway.fullname" . }}
    {{- if not .Values.persistence.enabled }}
    - name: data
      emptyDir:
        sizeLimit: {{ .Values.persistence.emptyDirSizeLimit }}
    {{- end }}
    - name: tmp
      emptyDir:
        sizeLimit: {{ .Values.tmpSizeLimit }}
    - name: home
      emptyDir:
        sizeLimit: {{ .Values.tmpSizeLimit }}
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- if .Values.spreadAcrossNodes }}
  topologySpreadConstraints:
    - maxSkew: 1
      topologyKey: kubernetes.io/hostname
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "gateway.selectorLabels" . | nindent 10 }}
  {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
