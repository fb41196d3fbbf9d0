# The protocol routes of mlpredict_api: the Open Inference Protocol v2
# (REST, with the binary tensor data extension) and TF Serving's REST API,
# for models named by mlpredict_model. Numbers are checked against
# scikit-learn by t/protocols.py; here the routes, shapes, datatypes and
# errors.

use Test::Nginx::Socket 'no_plan';

repeat_each(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: server metadata announces the binary extension
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
GET /v2
--- response_body_like chomp
^\{"name":"mlpredict","version":"1","extensions":\["binary_tensor_data"\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 2: server metadata with a trailing slash
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
GET /v2/
--- response_body_like chomp
^\{"name":"mlpredict",
--- error_code: 200
--- no_error_log
[error]



=== TEST 3: server live
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
GET /v2/health/live
--- response_body_like chomp
^\{"live":true\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 4: server ready
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
GET /v2/health/ready
--- response_body_like chomp
^\{"ready":true\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 5: model metadata: the highest version, every version listed
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
GET /v2/models/iris
--- response_body_like chomp
^\{"name":"iris","versions":\["1","2"\],"platform":"mlpredict","inputs":\[\{"name":"sepal_length_cm","datatype":"FP64","shape":\[-1\]\},.*\],"outputs":\[\{"name":"predict","datatype":"INT64","shape":\[-1\]\},\{"name":"predict_proba","datatype":"FP64","shape":\[-1,3\]\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 6: model metadata of a version: string labels are BYTES
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
GET /v2/models/iris/versions/1
--- response_body_like chomp
"outputs":\[\{"name":"predict","datatype":"BYTES","shape":\[-1\]\},\{"name":"predict_proba","datatype":"FP64","shape":\[-1,3\]\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 7: model metadata: categorical inputs are BYTES
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
GET /v2/models/churn
--- response_body_like chomp
\{"name":"plan","datatype":"BYTES","shape":\[-1\]\}
--- error_code: 200
--- no_error_log
[error]



=== TEST 8: model metadata: a decision-value classifier
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
GET /v2/models/bc_svc
--- response_body_like chomp
"outputs":\[\{"name":"predict","datatype":"BYTES","shape":\[-1\]\},\{"name":"decision_function","datatype":"FP64","shape":\[-1\]\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 9: model ready
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
GET /v2/models/iris/ready
--- response_body_like chomp
^\{"name":"iris","ready":true\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 10: model ready, a version
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
GET /v2/models/iris/versions/2/ready
--- response_body_like chomp
^\{"name":"iris","ready":true\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 11: unknown model: 404
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
GET /v2/models/nope
--- response_body_like chomp
^\{"error":"unknown model \\"nope\\""\}$
--- error_code: 404
--- no_error_log
[error]



=== TEST 12: unknown version: 404
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
GET /v2/models/iris/versions/7
--- response_body_like chomp
^\{"error":"model \\"iris\\" has no version \\"7\\""\}$
--- error_code: 404
--- no_error_log
[error]



=== TEST 13: unknown version on infer: 404
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/versions/7/infer
{}
--- response_body_like chomp
has no version
--- error_code: 404
--- no_error_log
[error]



=== TEST 14: unknown route: 404
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
GET /v2/models/iris/explain
--- response_body_like chomp
^\{"error":"no such route
--- error_code: 404
--- no_error_log
[error]



=== TEST 15: infer needs POST: 405
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
GET /v2/models/iris/infer
--- response_body_like chomp
^\{"error":"method not allowed
--- response_headers
Allow: POST
--- error_code: 405
--- no_error_log
[error]



=== TEST 16: metadata needs GET: 405
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
DELETE /v2/models/iris
--- response_body_like chomp
^\{"error":
--- response_headers
Allow: GET, HEAD
--- error_code: 405
--- no_error_log
[error]



=== TEST 17: infer: one [N, n_features] FP64 tensor, nested data, id echoed
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/versions/1/infer
{"id":"req-1","inputs":[{"name":"input-0","shape":[2,4],"datatype":"FP64","data":[[5.1,3.5,1.4,0.2],[6.7,3.0,5.2,2.3]]}]}
--- response_body_like chomp
^\{"model_name":"iris","model_version":"1","id":"req-1","outputs":\[\{"name":"predict","datatype":"BYTES","shape":\[2\],"data":\["setosa","virginica"\]\},\{"name":"predict_proba","datatype":"FP64","shape":\[2,3\],"data":\[0\.9[0-9e.-]*,[^\]]*\]\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 18: infer: FP32, flat row-major data
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/versions/1/infer
{"inputs":[{"name":"input-0","shape":[2,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2,6.7,3.0,5.2,2.3]}]}
--- response_body_like chomp
"data":\["setosa","virginica"\]
--- error_code: 200
--- no_error_log
[error]



=== TEST 19: infer: datatype INT8
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/versions/1/infer
{"inputs":[{"name":"x","shape":[1,4],"datatype":"INT8","data":[7,3,6,2]}]}
--- response_body_like chomp
"name":"predict","datatype":"BYTES","shape":\[1\],"data":\["virginica"\]
--- error_code: 200
--- no_error_log
[error]



=== TEST 20: infer: datatype INT16
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/versions/1/infer
{"inputs":[{"name":"x","shape":[1,4],"datatype":"INT16","data":[7,3,6,2]}]}
--- response_body_like chomp
"name":"predict","datatype":"BYTES","shape":\[1\],"data":\["virginica"\]
--- error_code: 200
--- no_error_log
[error]



=== TEST 21: infer: datatype INT32
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/versions/1/infer
{"inputs":[{"name":"x","shape":[1,4],"datatype":"INT32","data":[7,3,6,2]}]}
--- response_body_like chomp
"name":"predict","datatype":"BYTES","shape":\[1\],"data":\["virginica"\]
--- error_code: 200
--- no_error_log
[error]



=== TEST 22: infer: datatype INT64
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/versions/1/infer
{"inputs":[{"name":"x","shape":[1,4],"datatype":"INT64","data":[7,3,6,2]}]}
--- response_body_like chomp
"name":"predict","datatype":"BYTES","shape":\[1\],"data":\["virginica"\]
--- error_code: 200
--- no_error_log
[error]



=== TEST 23: infer: datatype UINT8
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/versions/1/infer
{"inputs":[{"name":"x","shape":[1,4],"datatype":"UINT8","data":[7,3,6,2]}]}
--- response_body_like chomp
"name":"predict","datatype":"BYTES","shape":\[1\],"data":\["virginica"\]
--- error_code: 200
--- no_error_log
[error]



=== TEST 24: infer: datatype UINT16
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/versions/1/infer
{"inputs":[{"name":"x","shape":[1,4],"datatype":"UINT16","data":[7,3,6,2]}]}
--- response_body_like chomp
"name":"predict","datatype":"BYTES","shape":\[1\],"data":\["virginica"\]
--- error_code: 200
--- no_error_log
[error]



=== TEST 25: infer: datatype UINT32
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/versions/1/infer
{"inputs":[{"name":"x","shape":[1,4],"datatype":"UINT32","data":[7,3,6,2]}]}
--- response_body_like chomp
"name":"predict","datatype":"BYTES","shape":\[1\],"data":\["virginica"\]
--- error_code: 200
--- no_error_log
[error]



=== TEST 26: infer: datatype UINT64
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/versions/1/infer
{"inputs":[{"name":"x","shape":[1,4],"datatype":"UINT64","data":[7,3,6,2]}]}
--- response_body_like chomp
"name":"predict","datatype":"BYTES","shape":\[1\],"data":\["virginica"\]
--- error_code: 200
--- no_error_log
[error]



=== TEST 27: infer: datatype BOOL
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/versions/1/infer
{"inputs":[{"name":"x","shape":[1,4],"datatype":"BOOL","data":[true,false,true,false]}]}
--- response_body_like chomp
"shape":\[1\],"data":\["[a-z]+"\]
--- error_code: 200
--- no_error_log
[error]



=== TEST 28: infer: numbers as BYTES text
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/versions/1/infer
{"inputs":[{"name":"x","shape":[1,4],"datatype":"BYTES","data":["6.7","3.0","5.2","2.3"]}]}
--- response_body_like chomp
"data":\["virginica"\]
--- error_code: 200
--- no_error_log
[error]



=== TEST 29: infer: one tensor per input, any order, [N] and [N, 1]
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/versions/1/infer
{"inputs":[{"name":"petal_width_cm","shape":[2,1],"datatype":"FP64","data":[5.1,6.7]},{"name":"sepal_length_cm","shape":[2],"datatype":"FP64","data":[3.5,3.0]},{"name":"petal_length_cm","shape":[2,1],"datatype":"FP64","data":[1.4,5.2]},{"name":"sepal_width_cm","shape":[2],"datatype":"FP64","data":[0.2,2.3]}]}
--- response_body_like chomp
"data":\["virginica","virginica"\]|"data":\["[a-z]+","[a-z]+"\]
--- error_code: 200
--- no_error_log
[error]



=== TEST 30: infer: categorical inputs as BYTES tensors
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/churn/infer
{"inputs":[{"name":"age","shape":[1],"datatype":"INT32","data":[40]},{"name":"income","shape":[1],"datatype":"FP64","data":[50000]},{"name":"tenure","shape":[1],"datatype":"INT64","data":[3]},{"name":"support_calls","shape":[1],"datatype":"UINT8","data":[2]},{"name":"plan","shape":[1],"datatype":"BYTES","data":["basic"]},{"name":"region","shape":[1],"datatype":"BYTES","data":["north"]},{"name":"contract","shape":[1],"datatype":"BYTES","data":["monthly"]}]}
--- response_body_like chomp
^\{"model_name":"churn","model_version":"1","outputs":\[\{"name":"predict","datatype":"BYTES","shape":\[1\],"data":\["(yes|no)"\]\},\{"name":"predict_proba","datatype":"FP64","shape":\[1,2\],
--- error_code: 200
--- no_error_log
[error]



=== TEST 31: infer: an input left out
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/diabetes/infer
{"inputs":[{"name":"age","shape":[1],"datatype":"INT32","data":[40]}]}
--- response_body_like chomp
^\{"error":"missing input \\"sex\\"
--- error_code: 400
--- no_error_log
[error]



=== TEST 32: infer: a number for a categorical input
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/churn/infer
{"inputs":[{"name":"plan","shape":[1],"datatype":"FP64","data":[1]},{"name":"age","shape":[1],"datatype":"FP64","data":[1]}]}
--- response_body_like chomp
input \\"plan\\" is categorical: send it in a BYTES tensor
--- error_code: 400
--- no_error_log
[error]



=== TEST 33: infer: a regressor answers predict alone
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/diabetes/infer
{"inputs":[{"name":"x","shape":[1,10],"datatype":"FP64","data":[0.03,0.05,0.06,0.02,-0.04,-0.03,-0.04,0.0,0.02,-0.01]}]}
--- response_body_like chomp
^\{"model_name":"diabetes","model_version":"1","outputs":\[\{"name":"predict","datatype":"FP64","shape":\[1\],"data":\[2[0-9.]+\]\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 34: infer: null is a missing value where the model takes one
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/diabetes_hgb/infer
{"inputs":[{"name":"x","shape":[1,10],"datatype":"FP64","data":[null,0.05,0.06,0.02,-0.04,-0.03,-0.04,0.0,0.02,-0.01]}]}
--- response_body_like chomp
"name":"predict","datatype":"FP64","shape":\[1\]
--- error_code: 200
--- no_error_log
[error]



=== TEST 35: infer: null refused where the model takes no missing value
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/diabetes/infer
{"inputs":[{"name":"x","shape":[1,10],"datatype":"FP64","data":[null,0.05,0.06,0.02,-0.04,-0.03,-0.04,0.0,0.02,-0.01]}]}
--- response_body_like chomp
is missing: this model has no rule for missing values
--- error_code: 400
--- no_error_log
[error]



=== TEST 36: infer: outputs selects
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/infer
{"inputs":[{"name":"x","shape":[2,4],"datatype":"FP64","data":[[5.1,3.5,1.4,0.2],[6.7,3.0,5.2,2.3]]}],"outputs":[{"name":"predict_proba"}]}
--- response_body_like chomp
^\{"model_name":"iris","model_version":"2","outputs":\[\{"name":"predict_proba","datatype":"FP64","shape":\[2,3\],"data":\[[^\]]*\]\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 37: infer: an unknown output
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/infer
{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP64","data":[5.1,3.5,1.4,0.2]}],"outputs":[{"name":"bogus"}]}
--- response_body_like chomp
unknown output \\"bogus\\"
--- error_code: 400
--- no_error_log
[error]



=== TEST 38: infer: decision values
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/bc_svc/infer
{"inputs":[{"name":"x","shape":[1,30],"datatype":"FP64","data":[17.99,10.38,122.8,1001,0.1184,0.2776,0.3001,0.1471,0.2419,0.07871,1.095,0.9053,8.589,153.4,0.006399,0.04904,0.05373,0.01587,0.03003,0.006193,25.38,17.33,184.6,2019,0.1622,0.6656,0.7119,0.2654,0.4601,0.1189]}]}
--- response_body_like chomp
"name":"predict","datatype":"BYTES","shape":\[1\],"data":\["malignant"\]\},\{"name":"decision_function","datatype":"FP64","shape":\[1\],"data":\[-?[0-9.e-]+\]\}
--- error_code: 200
--- no_error_log
[error]



=== TEST 39: infer: fewer values than the shape
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/infer
{"inputs":[{"name":"x","shape":[2,4],"datatype":"FP64","data":[1,2,3]}]}
--- response_body_like chomp
3 values, its shape holds 8
--- error_code: 400
--- no_error_log
[error]



=== TEST 40: infer: more values than the shape
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/infer
{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP64","data":[1,2,3,4,5]}]}
--- response_body_like chomp
more values than its shape holds
--- error_code: 400
--- no_error_log
[error]



=== TEST 41: infer: a fraction in an INT8 tensor
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/infer
{"inputs":[{"name":"x","shape":[1,4],"datatype":"INT8","data":[1.5,2,3,4]}]}
--- response_body_like chomp
must be an integer in the datatype
--- error_code: 400
--- no_error_log
[error]



=== TEST 42: infer: UINT8 out of range
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/infer
{"inputs":[{"name":"x","shape":[1,4],"datatype":"UINT8","data":[256,2,3,4]}]}
--- response_body_like chomp
must be an integer in the datatype
--- error_code: 400
--- no_error_log
[error]



=== TEST 43: infer: FP16 is not supported
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/infer
{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP16","data":[1,2,3,4]}]}
--- response_body_like chomp
datatype \\"FP16\\" is not supported
--- error_code: 400
--- no_error_log
[error]



=== TEST 44: infer: a string in an FP64 tensor
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/infer
{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP64","data":["a",2,3,4]}]}
--- response_body_like chomp
must be a number, not a string
--- error_code: 400
--- no_error_log
[error]



=== TEST 45: infer: numbers in a BOOL tensor
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/infer
{"inputs":[{"name":"x","shape":[1,4],"datatype":"BOOL","data":[1,0,1,0]}]}
--- response_body_like chomp
must be true or false
--- error_code: 400
--- no_error_log
[error]



=== TEST 46: infer: the wrong width
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/infer
{"inputs":[{"name":"x","shape":[1,5],"datatype":"FP64","data":[1,2,3,4,5]}]}
--- response_body_like chomp
shape must be \[N, 4\]
--- error_code: 400
--- no_error_log
[error]



=== TEST 47: infer: a shape larger than the body
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/infer
{"inputs":[{"name":"x","shape":[100000000000,4],"datatype":"FP64","data":[]}]}
--- response_body_like chomp
shape\[0\] must be a size
--- error_code: 400
--- no_error_log
[error]



=== TEST 48: infer: no rows
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/infer
{"inputs":[{"name":"x","shape":[0,4],"datatype":"FP64","data":[]}]}
--- response_body_like chomp
no rows
--- error_code: 400
--- no_error_log
[error]



=== TEST 49: infer: no inputs
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/infer
{"inputs":[]}
--- response_body_like chomp
\\"inputs\\" must be a non-empty array
--- error_code: 400
--- no_error_log
[error]



=== TEST 50: infer: no shape
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/infer
{"inputs":[{"name":"x","datatype":"FP64","data":[1]}]}
--- response_body_like chomp
\\"shape\\" must be an array
--- error_code: 400
--- no_error_log
[error]



=== TEST 51: infer: no datatype
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/infer
{"inputs":[{"name":"x","shape":[1,4],"data":[1,2,3,4]}]}
--- response_body_like chomp
\\"datatype\\" must be a string
--- error_code: 400
--- no_error_log
[error]



=== TEST 52: infer: no data
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/infer
{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP64"}]}
--- response_body_like chomp
no \\"data\\"
--- error_code: 400
--- no_error_log
[error]



=== TEST 53: infer: a numeric id
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/infer
{"id":5,"inputs":[{"name":"x","shape":[1,4],"datatype":"FP64","data":[1,2,3,4]}]}
--- response_body_like chomp
\\"id\\" must be a string
--- error_code: 400
--- no_error_log
[error]



=== TEST 54: infer: an input twice
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/versions/1/infer
{"inputs":[{"name":"sepal_length_cm","shape":[1],"datatype":"FP64","data":[1]},{"name":"sepal_length_cm","shape":[1],"datatype":"FP64","data":[1]}]}
--- response_body_like chomp
given twice
--- error_code: 400
--- no_error_log
[error]



=== TEST 55: infer: inputs of different rows
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/versions/1/infer
{"inputs":[{"name":"sepal_length_cm","shape":[1],"datatype":"FP64","data":[1]},{"name":"sepal_width_cm","shape":[2],"datatype":"FP64","data":[1,2]}]}
--- response_body_like chomp
2 rows, another input has 1
--- error_code: 400
--- no_error_log
[error]



=== TEST 56: infer: malformed JSON
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v2/models/iris/infer
{"inputs": [
--- response_body_like chomp
^\{"error":"malformed JSON
--- error_code: 400
--- no_error_log
[error]



=== TEST 57: infer: an unsupported Content-Type: 415
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: text/plain
--- request
POST /v2/models/iris/infer
{}
--- response_body_like chomp
unsupported Content-Type
--- error_code: 415
--- no_error_log
[error]



=== TEST 58: binary: FP64 inputs, JSON outputs
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/octet-stream
Inference-Header-Content-Length: 94
--- request eval
"POST /v2/models/iris/versions/1/infer\n" . "\x7b\x22\x69\x6e\x70\x75\x74\x73\x22\x3a\x5b\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x78\x22\x2c\x22\x73\x68\x61\x70\x65\x22\x3a\x5b\x32\x2c\x34\x5d\x2c\x22\x64\x61\x74\x61\x74\x79\x70\x65\x22\x3a\x22\x46\x50\x36\x34\x22\x2c\x22\x70\x61\x72\x61\x6d\x65\x74\x65\x72\x73\x22\x3a\x7b\x22\x62\x69\x6e\x61\x72\x79\x5f\x64\x61\x74\x61\x5f\x73\x69\x7a\x65\x22\x3a\x36\x34\x7d\x7d\x5d\x7d\x66\x66\x66\x66\x66\x66\x14\x40\x00\x00\x00\x00\x00\x00\x0c\x40\x66\x66\x66\x66\x66\x66\xf6\x3f\x9a\x99\x99\x99\x99\x99\xc9\x3f\xcd\xcc\xcc\xcc\xcc\xcc\x1a\x40\x00\x00\x00\x00\x00\x00\x08\x40\xcd\xcc\xcc\xcc\xcc\xcc\x14\x40\x66\x66\x66\x66\x66\x66\x02\x40"
--- response_body_like eval
qr/"data":\["setosa","virginica"\]/s
--- error_code: 200
--- no_error_log
[error]



=== TEST 59: binary: FP32 and INT16 inputs, one tensor each
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/octet-stream
Inference-Header-Content-Length: 366
--- request eval
"POST /v2/models/iris/versions/1/infer\n" . "\x7b\x22\x69\x6e\x70\x75\x74\x73\x22\x3a\x5b\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x73\x65\x70\x61\x6c\x5f\x6c\x65\x6e\x67\x74\x68\x5f\x63\x6d\x22\x2c\x22\x73\x68\x61\x70\x65\x22\x3a\x5b\x32\x5d\x2c\x22\x64\x61\x74\x61\x74\x79\x70\x65\x22\x3a\x22\x46\x50\x33\x32\x22\x2c\x22\x70\x61\x72\x61\x6d\x65\x74\x65\x72\x73\x22\x3a\x7b\x22\x62\x69\x6e\x61\x72\x79\x5f\x64\x61\x74\x61\x5f\x73\x69\x7a\x65\x22\x3a\x38\x7d\x7d\x2c\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x73\x65\x70\x61\x6c\x5f\x77\x69\x64\x74\x68\x5f\x63\x6d\x22\x2c\x22\x73\x68\x61\x70\x65\x22\x3a\x5b\x32\x5d\x2c\x22\x64\x61\x74\x61\x74\x79\x70\x65\x22\x3a\x22\x46\x50\x33\x32\x22\x2c\x22\x70\x61\x72\x61\x6d\x65\x74\x65\x72\x73\x22\x3a\x7b\x22\x62\x69\x6e\x61\x72\x79\x5f\x64\x61\x74\x61\x5f\x73\x69\x7a\x65\x22\x3a\x38\x7d\x7d\x2c\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x70\x65\x74\x61\x6c\x5f\x6c\x65\x6e\x67\x74\x68\x5f\x63\x6d\x22\x2c\x22\x73\x68\x61\x70\x65\x22\x3a\x5b\x32\x2c\x31\x5d\x2c\x22\x64\x61\x74\x61\x74\x79\x70\x65\x22\x3a\x22\x49\x4e\x54\x31\x36\x22\x2c\x22\x70\x61\x72\x61\x6d\x65\x74\x65\x72\x73\x22\x3a\x7b\x22\x62\x69\x6e\x61\x72\x79\x5f\x64\x61\x74\x61\x5f\x73\x69\x7a\x65\x22\x3a\x34\x7d\x7d\x2c\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x70\x65\x74\x61\x6c\x5f\x77\x69\x64\x74\x68\x5f\x63\x6d\x22\x2c\x22\x73\x68\x61\x70\x65\x22\x3a\x5b\x32\x5d\x2c\x22\x64\x61\x74\x61\x74\x79\x70\x65\x22\x3a\x22\x46\x50\x36\x34\x22\x2c\x22\x64\x61\x74\x61\x22\x3a\x5b\x30\x2e\x32\x2c\x32\x2e\x33\x5d\x7d\x5d\x7d\x33\x33\xa3\x40\x66\x66\xd6\x40\x00\x00\x60\x40\x00\x00\x40\x40\x01\x00\x05\x00"
--- response_body_like eval
qr/"data":\["setosa","virginica"\]/s
--- error_code: 200
--- no_error_log
[error]



=== TEST 60: binary: BYTES inputs, length-prefixed
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/octet-stream
Inference-Header-Content-Length: 95
--- request eval
"POST /v2/models/iris/versions/1/infer\n" . "\x7b\x22\x69\x6e\x70\x75\x74\x73\x22\x3a\x5b\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x78\x22\x2c\x22\x73\x68\x61\x70\x65\x22\x3a\x5b\x31\x2c\x34\x5d\x2c\x22\x64\x61\x74\x61\x74\x79\x70\x65\x22\x3a\x22\x42\x59\x54\x45\x53\x22\x2c\x22\x70\x61\x72\x61\x6d\x65\x74\x65\x72\x73\x22\x3a\x7b\x22\x62\x69\x6e\x61\x72\x79\x5f\x64\x61\x74\x61\x5f\x73\x69\x7a\x65\x22\x3a\x32\x38\x7d\x7d\x5d\x7d\x03\x00\x00\x00\x36\x2e\x37\x03\x00\x00\x00\x33\x2e\x30\x03\x00\x00\x00\x35\x2e\x32\x03\x00\x00\x00\x32\x2e\x33"
--- response_body_like eval
qr/"data":\["virginica"\]/s
--- error_code: 200
--- no_error_log
[error]



=== TEST 61: binary: outputs in binary, little-endian
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/octet-stream
Inference-Header-Content-Length: 135
--- request eval
"POST /v2/models/iris/versions/1/infer\n" . "\x7b\x22\x69\x6e\x70\x75\x74\x73\x22\x3a\x5b\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x78\x22\x2c\x22\x73\x68\x61\x70\x65\x22\x3a\x5b\x32\x2c\x34\x5d\x2c\x22\x64\x61\x74\x61\x74\x79\x70\x65\x22\x3a\x22\x46\x50\x36\x34\x22\x2c\x22\x70\x61\x72\x61\x6d\x65\x74\x65\x72\x73\x22\x3a\x7b\x22\x62\x69\x6e\x61\x72\x79\x5f\x64\x61\x74\x61\x5f\x73\x69\x7a\x65\x22\x3a\x36\x34\x7d\x7d\x5d\x2c\x22\x70\x61\x72\x61\x6d\x65\x74\x65\x72\x73\x22\x3a\x7b\x22\x62\x69\x6e\x61\x72\x79\x5f\x64\x61\x74\x61\x5f\x6f\x75\x74\x70\x75\x74\x22\x3a\x74\x72\x75\x65\x7d\x7d\x66\x66\x66\x66\x66\x66\x14\x40\x00\x00\x00\x00\x00\x00\x0c\x40\x66\x66\x66\x66\x66\x66\xf6\x3f\x9a\x99\x99\x99\x99\x99\xc9\x3f\xcd\xcc\xcc\xcc\xcc\xcc\x1a\x40\x00\x00\x00\x00\x00\x00\x08\x40\xcd\xcc\xcc\xcc\xcc\xcc\x14\x40\x66\x66\x66\x66\x66\x66\x02\x40"
--- response_body_like eval
qr/^\{"model_name":"iris","model_version":"1","outputs":\[\{"name":"predict","datatype":"BYTES","shape":\[2\],"parameters":\{"binary_data_size":23\}\},\{"name":"predict_proba","datatype":"FP64","shape":\[2,3\],"parameters":\{"binary_data_size":48\}\}\]\}\n\x06\x00\x00\x00setosa\x09\x00\x00\x00virginica/s
--- response_headers
Content-Type: application/octet-stream
--- error_code: 200
--- no_error_log
[error]



=== TEST 62: binary: one output in binary, the other in JSON
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/octet-stream
Inference-Header-Content-Length: 184
--- request eval
"POST /v2/models/iris/versions/1/infer\n" . "\x7b\x22\x69\x6e\x70\x75\x74\x73\x22\x3a\x5b\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x78\x22\x2c\x22\x73\x68\x61\x70\x65\x22\x3a\x5b\x32\x2c\x34\x5d\x2c\x22\x64\x61\x74\x61\x74\x79\x70\x65\x22\x3a\x22\x46\x50\x36\x34\x22\x2c\x22\x70\x61\x72\x61\x6d\x65\x74\x65\x72\x73\x22\x3a\x7b\x22\x62\x69\x6e\x61\x72\x79\x5f\x64\x61\x74\x61\x5f\x73\x69\x7a\x65\x22\x3a\x36\x34\x7d\x7d\x5d\x2c\x22\x6f\x75\x74\x70\x75\x74\x73\x22\x3a\x5b\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x70\x72\x65\x64\x69\x63\x74\x22\x7d\x2c\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x70\x72\x65\x64\x69\x63\x74\x5f\x70\x72\x6f\x62\x61\x22\x2c\x22\x70\x61\x72\x61\x6d\x65\x74\x65\x72\x73\x22\x3a\x7b\x22\x62\x69\x6e\x61\x72\x79\x5f\x64\x61\x74\x61\x22\x3a\x74\x72\x75\x65\x7d\x7d\x5d\x7d\x66\x66\x66\x66\x66\x66\x14\x40\x00\x00\x00\x00\x00\x00\x0c\x40\x66\x66\x66\x66\x66\x66\xf6\x3f\x9a\x99\x99\x99\x99\x99\xc9\x3f\xcd\xcc\xcc\xcc\xcc\xcc\x1a\x40\x00\x00\x00\x00\x00\x00\x08\x40\xcd\xcc\xcc\xcc\xcc\xcc\x14\x40\x66\x66\x66\x66\x66\x66\x02\x40"
--- response_body_like eval
qr/"data":\["setosa","virginica"\]\},\{"name":"predict_proba","datatype":"FP64","shape":\[2,3\],"parameters":\{"binary_data_size":48\}\}\]\}\n/s
--- error_code: 200
--- no_error_log
[error]



=== TEST 63: binary: binary_data_size against shape and datatype
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/octet-stream
Inference-Header-Content-Length: 94
--- request eval
"POST /v2/models/iris/versions/1/infer\n" . "\x7b\x22\x69\x6e\x70\x75\x74\x73\x22\x3a\x5b\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x78\x22\x2c\x22\x73\x68\x61\x70\x65\x22\x3a\x5b\x32\x2c\x34\x5d\x2c\x22\x64\x61\x74\x61\x74\x79\x70\x65\x22\x3a\x22\x46\x50\x36\x34\x22\x2c\x22\x70\x61\x72\x61\x6d\x65\x74\x65\x72\x73\x22\x3a\x7b\x22\x62\x69\x6e\x61\x72\x79\x5f\x64\x61\x74\x61\x5f\x73\x69\x7a\x65\x22\x3a\x35\x36\x7d\x7d\x5d\x7d\x66\x66\x66\x66\x66\x66\x14\x40\x00\x00\x00\x00\x00\x00\x0c\x40\x66\x66\x66\x66\x66\x66\xf6\x3f\x9a\x99\x99\x99\x99\x99\xc9\x3f\xcd\xcc\xcc\xcc\xcc\xcc\x1a\x40\x00\x00\x00\x00\x00\x00\x08\x40\xcd\xcc\xcc\xcc\xcc\xcc\x14\x40"
--- response_body_like eval
qr/binary_data_size 56, its shape and FP64 take 64 bytes/s
--- error_code: 400
--- no_error_log
[error]



=== TEST 64: binary: binary_data_size past the body
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/octet-stream
Inference-Header-Content-Length: 94
--- request eval
"POST /v2/models/iris/versions/1/infer\n" . "\x7b\x22\x69\x6e\x70\x75\x74\x73\x22\x3a\x5b\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x78\x22\x2c\x22\x73\x68\x61\x70\x65\x22\x3a\x5b\x32\x2c\x34\x5d\x2c\x22\x64\x61\x74\x61\x74\x79\x70\x65\x22\x3a\x22\x46\x50\x36\x34\x22\x2c\x22\x70\x61\x72\x61\x6d\x65\x74\x65\x72\x73\x22\x3a\x7b\x22\x62\x69\x6e\x61\x72\x79\x5f\x64\x61\x74\x61\x5f\x73\x69\x7a\x65\x22\x3a\x36\x34\x7d\x7d\x5d\x7d\x66\x66\x66\x66\x66\x66\x14\x40\x00\x00\x00\x00\x00\x00\x0c\x40\x66\x66\x66\x66\x66\x66\xf6\x3f\x9a\x99\x99\x99\x99\x99\xc9\x3f\xcd\xcc\xcc\xcc\xcc\xcc\x1a\x40"
--- response_body_like eval
qr/past the end of the body/s
--- error_code: 400
--- no_error_log
[error]



=== TEST 65: binary: bytes left over
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/octet-stream
Inference-Header-Content-Length: 94
--- request eval
"POST /v2/models/iris/versions/1/infer\n" . "\x7b\x22\x69\x6e\x70\x75\x74\x73\x22\x3a\x5b\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x78\x22\x2c\x22\x73\x68\x61\x70\x65\x22\x3a\x5b\x32\x2c\x34\x5d\x2c\x22\x64\x61\x74\x61\x74\x79\x70\x65\x22\x3a\x22\x46\x50\x36\x34\x22\x2c\x22\x70\x61\x72\x61\x6d\x65\x74\x65\x72\x73\x22\x3a\x7b\x22\x62\x69\x6e\x61\x72\x79\x5f\x64\x61\x74\x61\x5f\x73\x69\x7a\x65\x22\x3a\x36\x34\x7d\x7d\x5d\x7d\x66\x66\x66\x66\x66\x66\x14\x40\x00\x00\x00\x00\x00\x00\x0c\x40\x66\x66\x66\x66\x66\x66\xf6\x3f\x9a\x99\x99\x99\x99\x99\xc9\x3f\xcd\xcc\xcc\xcc\xcc\xcc\x1a\x40\x00\x00\x00\x00\x00\x00\x08\x40\xcd\xcc\xcc\xcc\xcc\xcc\x14\x40\x66\x66\x66\x66\x66\x66\x02\x40\x78\x78"
--- response_body_like eval
qr/2 bytes after the JSON header/s
--- error_code: 400
--- no_error_log
[error]



=== TEST 66: binary: a header length over the body
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/octet-stream
Inference-Header-Content-Length: 100000
--- request eval
"POST /v2/models/iris/versions/1/infer\n" . "\x7b\x22\x69\x6e\x70\x75\x74\x73\x22\x3a\x5b\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x78\x22\x2c\x22\x73\x68\x61\x70\x65\x22\x3a\x5b\x32\x2c\x34\x5d\x2c\x22\x64\x61\x74\x61\x74\x79\x70\x65\x22\x3a\x22\x46\x50\x36\x34\x22\x2c\x22\x70\x61\x72\x61\x6d\x65\x74\x65\x72\x73\x22\x3a\x7b\x22\x62\x69\x6e\x61\x72\x79\x5f\x64\x61\x74\x61\x5f\x73\x69\x7a\x65\x22\x3a\x36\x34\x7d\x7d\x5d\x7d\x66\x66\x66\x66\x66\x66\x14\x40\x00\x00\x00\x00\x00\x00\x0c\x40\x66\x66\x66\x66\x66\x66\xf6\x3f\x9a\x99\x99\x99\x99\x99\xc9\x3f\xcd\xcc\xcc\xcc\xcc\xcc\x1a\x40\x00\x00\x00\x00\x00\x00\x08\x40\xcd\xcc\xcc\xcc\xcc\xcc\x14\x40\x66\x66\x66\x66\x66\x66\x02\x40"
--- response_body_like eval
qr/Inference-Header-Content-Length must be/s
--- error_code: 400
--- no_error_log
[error]



=== TEST 67: binary: BYTES data ending inside an element
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/octet-stream
Inference-Header-Content-Length: 95
--- request eval
"POST /v2/models/iris/versions/1/infer\n" . "\x7b\x22\x69\x6e\x70\x75\x74\x73\x22\x3a\x5b\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x78\x22\x2c\x22\x73\x68\x61\x70\x65\x22\x3a\x5b\x31\x2c\x34\x5d\x2c\x22\x64\x61\x74\x61\x74\x79\x70\x65\x22\x3a\x22\x42\x59\x54\x45\x53\x22\x2c\x22\x70\x61\x72\x61\x6d\x65\x74\x65\x72\x73\x22\x3a\x7b\x22\x62\x69\x6e\x61\x72\x79\x5f\x64\x61\x74\x61\x5f\x73\x69\x7a\x65\x22\x3a\x31\x33\x7d\x7d\x5d\x7d\x03\x00\x00\x00\x36\x2e\x37\x09\x00\x00\x00\x61\x62"
--- response_body_like eval
qr/ends inside element 1/s
--- error_code: 400
--- no_error_log
[error]



=== TEST 68: binary: a BOOL byte that is not 0 or 1
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/octet-stream
Inference-Header-Content-Length: 93
--- request eval
"POST /v2/models/iris/versions/1/infer\n" . "\x7b\x22\x69\x6e\x70\x75\x74\x73\x22\x3a\x5b\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x78\x22\x2c\x22\x73\x68\x61\x70\x65\x22\x3a\x5b\x31\x2c\x34\x5d\x2c\x22\x64\x61\x74\x61\x74\x79\x70\x65\x22\x3a\x22\x42\x4f\x4f\x4c\x22\x2c\x22\x70\x61\x72\x61\x6d\x65\x74\x65\x72\x73\x22\x3a\x7b\x22\x62\x69\x6e\x61\x72\x79\x5f\x64\x61\x74\x61\x5f\x73\x69\x7a\x65\x22\x3a\x34\x7d\x7d\x5d\x7d\x01\x00\x02\x00"
--- response_body_like eval
qr/BOOL element 2 is neither 0 nor 1/s
--- error_code: 400
--- no_error_log
[error]



=== TEST 69: binary: an infinite FP64
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/octet-stream
Inference-Header-Content-Length: 94
--- request eval
"POST /v2/models/iris/versions/1/infer\n" . "\x7b\x22\x69\x6e\x70\x75\x74\x73\x22\x3a\x5b\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x78\x22\x2c\x22\x73\x68\x61\x70\x65\x22\x3a\x5b\x31\x2c\x34\x5d\x2c\x22\x64\x61\x74\x61\x74\x79\x70\x65\x22\x3a\x22\x46\x50\x36\x34\x22\x2c\x22\x70\x61\x72\x61\x6d\x65\x74\x65\x72\x73\x22\x3a\x7b\x22\x62\x69\x6e\x61\x72\x79\x5f\x64\x61\x74\x61\x5f\x73\x69\x7a\x65\x22\x3a\x33\x32\x7d\x7d\x5d\x7d\x00\x00\x00\x00\x00\x00\xf0\x3f\x00\x00\x00\x00\x00\x00\xf0\x7f\x00\x00\x00\x00\x00\x00\xf0\x3f\x00\x00\x00\x00\x00\x00\xf0\x3f"
--- response_body_like eval
qr/element 1 is not finite/s
--- error_code: 400
--- no_error_log
[error]



=== TEST 70: binary: data and binary_data_size both
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/octet-stream
Inference-Header-Content-Length: 111
--- request eval
"POST /v2/models/iris/versions/1/infer\n" . "\x7b\x22\x69\x6e\x70\x75\x74\x73\x22\x3a\x5b\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x78\x22\x2c\x22\x73\x68\x61\x70\x65\x22\x3a\x5b\x31\x2c\x34\x5d\x2c\x22\x64\x61\x74\x61\x74\x79\x70\x65\x22\x3a\x22\x46\x50\x36\x34\x22\x2c\x22\x64\x61\x74\x61\x22\x3a\x5b\x31\x2c\x32\x2c\x33\x2c\x34\x5d\x2c\x22\x70\x61\x72\x61\x6d\x65\x74\x65\x72\x73\x22\x3a\x7b\x22\x62\x69\x6e\x61\x72\x79\x5f\x64\x61\x74\x61\x5f\x73\x69\x7a\x65\x22\x3a\x33\x32\x7d\x7d\x5d\x7d\x00\x00\x00\x00\x00\x00\xf0\x3f\x00\x00\x00\x00\x00\x00\x00\x40\x00\x00\x00\x00\x00\x00\xf0\x3f\x00\x00\x00\x00\x00\x00\xf0\x3f"
--- response_body_like eval
qr/\\"data\\" and binary_data_size both given/s
--- error_code: 400
--- no_error_log
[error]



=== TEST 71: TF Serving: model status
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
GET /v1/models/iris
--- response_body_like chomp
^\{"model_version_status":\[\{"version":"1","state":"AVAILABLE","status":\{"error_code":"OK","error_message":""\}\},\{"version":"2","state":"AVAILABLE","status":\{"error_code":"OK","error_message":""\}\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 72: TF Serving: a version's status
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
GET /v1/models/iris/versions/2
--- response_body_like chomp
^\{"model_version_status":\[\{"version":"2","state":"AVAILABLE",
--- error_code: 200
--- no_error_log
[error]



=== TEST 73: TF Serving: metadata
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
GET /v1/models/iris/versions/1/metadata
--- response_body_like chomp
^\{"model_spec":\{"name":"iris","signature_name":"","version":"1"\},"metadata":\{"signature_def":\{"signature_def":\{"serving_default":\{"inputs":\{"sepal_length_cm":\{"dtype":"DT_DOUBLE",.*"outputs":\{"predict":\{"dtype":"DT_STRING".*"method_name":"tensorflow/serving/predict"\}\}\}\}\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 74: TF Serving: unknown model
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- request
GET /v1/models/nope
--- response_body_like chomp
unknown model
--- error_code: 404
--- no_error_log
[error]



=== TEST 75: TF Serving: predict, instances as arrays and objects
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v1/models/iris/versions/1:predict
{"signature_name":"serving_default","instances":[[5.1,3.5,1.4,0.2],{"sepal_length_cm":6.7,"sepal_width_cm":3.0,"petal_length_cm":5.2,"petal_width_cm":2.3}]}
--- response_body_like chomp
^\{"predictions":\[\{"predict":"setosa","predict_proba":\[0\.9[^\]]*\]\},\{"predict":"virginica","predict_proba":\[[^\]]*\]\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 76: TF Serving: predict, columnar inputs
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v1/models/iris/versions/1:predict
{"inputs":{"sepal_length_cm":[5.1,6.7],"sepal_width_cm":[3.5,3.0],"petal_length_cm":[1.4,5.2],"petal_width_cm":[[0.2],[2.3]]}}
--- response_body_like chomp
^\{"outputs":\{"predict":\["setosa","virginica"\],"predict_proba":\[\[[^\]]*\],\[[^\]]*\]\]\}\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 77: TF Serving: predict, a regressor
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v1/models/diabetes:predict
{"instances":[[0.03,0.05,0.06,0.02,-0.04,-0.03,-0.04,0.0,0.02,-0.01]]}
--- response_body_like chomp
^\{"predictions":\[2[0-9.]+\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 78: TF Serving: predict, categorical inputs
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v1/models/churn:predict
{"instances":[{"age":40,"income":50000,"tenure":3,"support_calls":2,"plan":"basic","region":"north","contract":"monthly"}]}
--- response_body_like chomp
^\{"predictions":\[\{"predict":"(yes|no)","predict_proba":\[
--- error_code: 200
--- no_error_log
[error]



=== TEST 79: TF Serving: classify
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v1/models/iris/versions/1:classify
{"examples":[{"sepal_length_cm":6.7,"sepal_width_cm":3.0,"petal_length_cm":5.2,"petal_width_cm":2.3}]}
--- response_body_like chomp
^\{"result":\[\[\["setosa",[0-9.e-]+\],\["versicolor",[0-9.e-]+\],\["virginica",0\.9[0-9]*\]\]\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 80: TF Serving: regress
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v1/models/diabetes:regress
{"examples":[{"age":0.03,"sex":0.05,"bmi":0.06,"bp":0.02,"s1":-0.04,"s2":-0.03,"s3":-0.04,"s4":0.0,"s5":0.02,"s6":-0.01}]}
--- response_body_like chomp
^\{"result":\[2[0-9.]+\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 81: TF Serving: regress on a classifier
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v1/models/iris:regress
{"examples":[{"sepal_length_cm":6.7,"sepal_width_cm":3.0,"petal_length_cm":5.2,"petal_width_cm":2.3}]}
--- response_body_like chomp
:regress needs a regressor
--- error_code: 400
--- no_error_log
[error]



=== TEST 82: TF Serving: an unknown key
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v1/models/iris:predict
{"rows":[]}
--- response_body_like chomp
unknown key \\"rows\\"
--- error_code: 400
--- no_error_log
[error]



=== TEST 83: TF Serving: a row of the wrong width
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v1/models/iris:predict
{"instances":[[1,2,3]]}
--- response_body_like chomp
row 0: 3 values, the model takes 4
--- error_code: 400
--- no_error_log
[error]



=== TEST 84: TF Serving: an unknown columnar input
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v1/models/iris:predict
{"inputs":{"nope":[1]}}
--- response_body_like chomp
unknown input \\"nope\\"
--- error_code: 400
--- no_error_log
[error]



=== TEST 85: TF Serving: columnar inputs of different lengths
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v1/models/iris:predict
{"inputs":{"sepal_length_cm":[1],"sepal_width_cm":[1,2]}}
--- response_body_like chomp
has 2 values, another input 1
--- error_code: 400
--- no_error_log
[error]



=== TEST 86: TF Serving: an unknown verb
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/json
--- request
POST /v1/models/iris:generate
{}
--- response_body_like chomp
no such route
--- error_code: 404
--- no_error_log
[error]


=== TEST 87: CSV: a header naming the inputs, v2 answer
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: text/csv
--- request eval
"POST /v2/models/iris/versions/1/infer\n" . "sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n"
--- response_body_like eval
qr/^\{"model_name":"iris","model_version":"1","outputs":\[\{"name":"predict","datatype":"BYTES","shape":\[2\],"data":\["setosa","virginica"\]\}/s
--- error_code: 200
--- no_error_log
[error]



=== TEST 88: CSV: no header, CRLF, TF Serving answer
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: text/csv
--- request eval
"POST /v1/models/iris/versions/1:predict\n" . "5.1,3.5,1.4,0.2\r\n6.7,3.0,5.2,2.3\r\n"
--- response_body_like eval
qr/^\{"predictions":\[\{"predict":"setosa","predict_proba":\[[^\]]*\]\},\{"predict":"virginica",/s
--- error_code: 200
--- no_error_log
[error]



=== TEST 89: CSV: answered in CSV when Accept asks
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: text/csv
Accept: text/csv
--- request eval
"POST /v2/models/iris/versions/1/infer\n" . "petal_width_cm,sepal_length_cm,sepal_width_cm,petal_length_cm\n2.3,6.7,3.0,5.2\n0.2,5.1,3.5,1.4\n"
--- response_body_like eval
qr/^virginica,[0-9.e-]+,[0-9.e-]+,0\.9[0-9.e-]*\nsetosa,0\.9[0-9.e-]*,[0-9.e-]+,[0-9.e-]+\n$/s
--- error_code: 200
--- no_error_log
[error]



=== TEST 90: CSV: categories and NA where the model takes missing values
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: text/csv
Accept: text/csv, application/json;q=0.5
--- request eval
"POST /v1/models/churn:predict\n" . "age,income,tenure,support_calls,plan,region,contract\n40,NA,3,2,basic,north,monthly\n"
--- response_body_like eval
qr/^(yes|no),0\.[0-9]+,0\.[0-9]+\n$/s
--- error_code: 200
--- no_error_log
[error]



=== TEST 91: CSV: classify
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: text/csv
--- request eval
"POST /v1/models/iris/versions/1:classify\n" . "6.7,3.0,5.2,2.3\n"
--- response_body_like eval
qr/^\{"result":\[\[\["setosa",[0-9.e-]+\],\["versicolor",[0-9.e-]+\],\["virginica",0\.9/s
--- error_code: 200
--- no_error_log
[error]



=== TEST 92: CSV: a short row
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: text/csv
--- request eval
"POST /v1/models/iris:predict\n" . "5.1,3.5,1.4\n"
--- response_body_like eval
qr/^\{"error":"CSV line 1: 3 fields, the model takes 4"\}$/s
--- error_code: 400
--- no_error_log
[error]



=== TEST 93: CSV: not a number
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: text/csv
--- request eval
"POST /v1/models/iris:predict\n" . "5.1,3.5,abc,1\n"
--- response_body_like eval
qr/must be a finite number, not \\"abc\\"/s
--- error_code: 400
--- no_error_log
[error]



=== TEST 94: CSV: an unclosed quote
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: text/csv
--- request eval
"POST /v2/models/iris/infer\n" . "5.1,\"3.5,1\n"
--- response_body_like eval
qr/CSV line 1, column 2: a quoted field is never closed/s
--- error_code: 400
--- no_error_log
[error]



=== TEST 95: CSV: a header without a required input
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: text/csv
--- request eval
"POST /v2/models/iris/infer\n" . "sepal_length_cm\n1\n"
--- response_body_like eval
qr/no column \\"sepal_width_cm\\"/s
--- error_code: 400
--- no_error_log
[error]



=== TEST 96: CSV: missing where the model takes none
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: text/csv
--- request eval
"POST /v2/models/iris/infer\n" . "5.1,NA,1,1\n"
--- response_body_like eval
qr/is missing: this model has no rule for missing values/s
--- error_code: 400
--- no_error_log
[error]



=== TEST 97: config: a name and version twice
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=1;
--- config
    location /v2 {
        mlpredict_api;
    }
--- must_die
--- error_log
model "iris" version 1 is duplicate



=== TEST 98: config: a name with a slash
--- http_config
    mlpredict_model a/b $TEST_NGINX_MODELS/iris.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }
--- must_die
--- error_log
invalid model name "a/b"



=== TEST 99: config: a version that is not a number from 1
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp version=0;
--- config
    location /v2 {
        mlpredict_api;
    }
--- must_die
--- error_log
invalid version "version=0"



=== TEST 100: config: an unknown parameter
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp latest;
--- config
    location /v2 {
        mlpredict_api;
    }
--- must_die
--- error_log
invalid parameter "latest"



=== TEST 101: config: a missing model file
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/nope.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }
--- must_die
--- error_log
mlpredict: cannot load model



=== TEST 102: config: mlpredict_api takes no arguments
--- http_config
--- config
    location /v2 {
        mlpredict_api on;
    }
--- must_die
--- error_log
invalid number of arguments in "mlpredict_api" directive



=== TEST 103: config: mlpredict_model is not for a location
--- http_config
--- config
    location /v2 {
        mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    }
--- must_die
--- error_log
"mlpredict_model" directive is not allowed here



=== TEST 104: CSV: :regress on a classifier, whatever Accept asks
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
    mlpredict_model iris $TEST_NGINX_MODELS/iris_forest.mlp version=2;
    mlpredict_model diabetes $TEST_NGINX_MODELS/diabetes.mlp;
    mlpredict_model churn $TEST_NGINX_MODELS/churn.mlp;
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    mlpredict_model diabetes_hgb $TEST_NGINX_MODELS/diabetes_hgb.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }

    location /v1/models/ {
        mlpredict_api;
    }
--- more_headers
Content-Type: text/csv
Accept: text/csv
--- request eval
"POST /v1/models/iris:regress\n" . "5.1,3.5,1.4,0.2\n"
--- response_body_like eval
qr/^\{"error":":regress needs a regressor of one target; use :predict"\}$/s
--- error_code: 400
--- no_error_log
[error]



=== TEST 105: config: one endpoint a location, mlpredict_api or mlpredict
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
--- config
    location /v2 {
        mlpredict_api;
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }
--- must_die
--- error_log
"mlpredict" directive is duplicate



=== TEST 106: a broken chunked body to an unknown model: nginx's 400, as on every route
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }
--- raw_request eval
"POST /v2/models/nosuch/infer HTTP/1.1\r
Host: localhost\r
Connection: close\r
Transfer-Encoding: chunked\r
Content-Type: application/json\r
\r
zz\r
{}\r
0\r
\r
"
--- response_body
{"error":"bad request"}
--- error_code: 400



=== TEST 107: a broken chunked body to an unknown route: nginx's 400, as on every route
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }
--- raw_request eval
"GET /v2/nosuch HTTP/1.1\r
Host: localhost\r
Connection: close\r
Transfer-Encoding: chunked\r
Content-Type: application/json\r
\r
zz\r
{}\r
0\r
\r
"
--- response_body
{"error":"bad request"}
--- error_code: 400



=== TEST 108: a broken chunked body to a model's infer route: nginx's 400, as on every route
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }
--- raw_request eval
"POST /v2/models/iris/infer HTTP/1.1\r
Host: localhost\r
Connection: close\r
Transfer-Encoding: chunked\r
Content-Type: application/json\r
\r
zz\r
{}\r
0\r
\r
"
--- response_body
{"error":"bad request"}
--- error_code: 400



=== TEST 109: binary: Inference-Header-Content-Length given twice is refused
--- http_config
    mlpredict_model iris $TEST_NGINX_MODELS/iris.mlp;
--- config
    location /v2 {
        mlpredict_api;
    }
--- more_headers
Content-Type: application/octet-stream
Inference-Header-Content-Length: 94
Inference-Header-Content-Length: 90
--- request eval
"POST /v2/models/iris/versions/1/infer\n" . "\x7b\x22\x69\x6e\x70\x75\x74\x73\x22\x3a\x5b\x7b\x22\x6e\x61\x6d\x65\x22\x3a\x22\x78\x22\x2c\x22\x73\x68\x61\x70\x65\x22\x3a\x5b\x32\x2c\x34\x5d\x2c\x22\x64\x61\x74\x61\x74\x79\x70\x65\x22\x3a\x22\x46\x50\x36\x34\x22\x2c\x22\x70\x61\x72\x61\x6d\x65\x74\x65\x72\x73\x22\x3a\x7b\x22\x62\x69\x6e\x61\x72\x79\x5f\x64\x61\x74\x61\x5f\x73\x69\x7a\x65\x22\x3a\x36\x34\x7d\x7d\x5d\x7d\x66\x66\x66\x66\x66\x66\x14\x40\x00\x00\x00\x00\x00\x00\x0c\x40\x66\x66\x66\x66\x66\x66\xf6\x3f\x9a\x99\x99\x99\x99\x99\xc9\x3f\xcd\xcc\xcc\xcc\xcc\xcc\x1a\x40\x00\x00\x00\x00\x00\x00\x08\x40\xcd\xcc\xcc\xcc\xcc\xcc\x14\x40\x66\x66\x66\x66\x66\x66\x02\x40"
--- response_body
{"error":"Inference-Header-Content-Length given more than once"}
--- error_code: 400
--- no_error_log
[error]
