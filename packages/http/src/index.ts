// @jobkit/http: jobkit's HTTP API as one web-standard handler (work in progress).
export {};
