# Explanations over HTTP (issue 14): "explain": true beside the rows, the
# mlpredict_explain directive, and the 400 of a model without an exact
# method. Expected contributions are computed outside mlpredict, on the
# same fitted models (models/make_examples.py build(name)), to 10
# significant digits: for the forest, exact Shapley values by brute force
# over every feature subset, each subset's value the trees' expectation
# under their training cover (weighted_n_node_samples); for the linear
# models numpy's coef * (x - mean) / scale with the StandardScaler's
# training mean, the base value the intercept. t/explain.py checks every
# digit against the libraries themselves.

use Test::Nginx::Socket 'no_plan';

repeat_each(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a random forest, three classes: contributions and base values keyed by label, a batch
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris_forest.mlp;
        mlpredict_explain on;
    }
--- request
POST /m
{"instances": [[5.8, 2.8, 5.1, 2.4]], "explain": true}
--- response_body_like chomp
^\{"predictions":\[\{"prediction":2,"probabilities":\{[^}]*\},"contributions":\{"0":\{"sepal_length_cm":\-0\.03018246464\d*,"sepal_width_cm":\-0\.002141900510\d*,"petal_length_cm":\-0\.1407961894\d*,"petal_width_cm":\-0\.1575937311\d*\},"1":\{"sepal_length_cm":0\.01818418525\d*,"sepal_width_cm":\-0\.008140526086\d*,"petal_length_cm":\-0\.1743141473\d*,"petal_width_cm":\-0\.1257295118\d*\},"2":\{"sepal_length_cm":0\.01199827939\d*,"sepal_width_cm":0\.01028242659\d*,"petal_length_cm":0\.3151103367\d*,"petal_width_cm":0\.2833232429\d*\}\},"base_value":\{"0":0\.3307142857\d*,"1":(?:0\.3099999999\d*|0\.3100000000\d*),"2":0\.3592857142\d*\}\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 2: a linear regression behind a StandardScaler, one named row
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/diabetes.mlp;
        mlpredict_explain on;
    }
--- request
POST /m
{"explain": true, "age": 0.01991321417832592, "sex": 0.05068011873981862, "bmi": 0.10480868947391528, "bp": 0.07007229917592636, "s1": -0.035967781275239266, "s2": -0.02667890283117104, "s3": -0.024992656631590206, "s4": -0.002592261998183278, "s5": 0.0037090603325595967, "s6": 0.040343371647878594}
--- response_body_like chomp
^\{"prediction":[0-9.]+,"contributions":\{"age":\-0\.8617183375\d*,"sex":\-10\.33579682\d*,"bmi":62\.95522707\d*,"bp":21\.51150303\d*,"s1":19\.73331740\d*,"s2":\-6\.687118933\d*,"s3":0\.2200768205\d*,"s4":\-0\.4311364293\d*,"s5":2\.679084524\d*,"s6":1\.140575017\d*\},"base_value":151\.9214501\d*\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 3: a multinomial logistic regression: the margin of each class
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
        mlpredict_explain on;
    }
--- request
POST /m
{"instances": [[5.8, 2.8, 5.1, 2.4]], "explain": true}
--- response_body_like chomp
^\{"predictions":\[\{"prediction":"virginica","probabilities":\{[^}]*\},"contributions":\{"setosa":\{"sepal_length_cm":0\.1020067480\d*,"sepal_width_cm":\-0\.6047829658\d*,"petal_length_cm":(?:\-1\.294144085\d*|\-1\.294144086\d*),"petal_width_cm":\-2\.510319666\d*\},"versicolor":\{"sepal_length_cm":\-0\.05411830398\d*,"sepal_width_cm":0\.2087011594\d*,"petal_length_cm":\-0\.1940442160\d*,"petal_width_cm":\-1\.086578558\d*\},"virginica":\{"sepal_length_cm":\-0\.04788844404\d*,"sepal_width_cm":0\.3960818063\d*,"petal_length_cm":(?:1\.488188301\d*|1\.488188302\d*),"petal_width_cm":3\.596898224\d*\}\},"base_value":\{"setosa":\-0\.4216604597\d*,"versicolor":1\.769807826\d*,"virginica":\-1\.348147366\d*\}\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 4: a kernel SVM has no exact method: 400 naming the model kind
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris_svc.mlp;
        mlpredict_explain on;
    }
--- request
POST /m
{"instances": [[5.8, 2.8, 5.1, 2.4]], "explain": true}
--- response_body_like chomp
^\{"error":"this model cannot explain its predictions: a kernel svm \(kind svm\): [^"]*"\}$
--- error_code: 400
--- no_error_log
[error]



=== TEST 5: a linear model exported without its training means: 400 saying so
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/diabetes_elasticnet.mlp;
        mlpredict_explain on;
    }
--- request
POST /m
{"instances": [[0.01, 0.05, 0.06, 0.02, -0.04, -0.03, -0.02, 0.0, 0.004, 0.04]], "explain": true}
--- response_body_like chomp
^\{"error":"this model cannot explain its predictions: a linear model whose file has no training means \(feature_mean, section 50\): export it with train=X, or train it again with mlpredict train"\}$
--- error_code: 400
--- no_error_log
[error]



=== TEST 6: mlpredict_explain off (the default) refuses the explanation
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris_forest.mlp;
    }
--- request
POST /m
{"instances": [[5.8, 2.8, 5.1, 2.4]], "explain": true}
--- response_body_like chomp
^\{"error":"explanations are off here \(mlpredict_explain off\)"\}$
--- error_code: 403
--- no_error_log
[error]



=== TEST 7: mlpredict_explain off explicitly; "explain": false still predicts
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris_forest.mlp;
        mlpredict_explain off;
    }
--- request
POST /m
{"instances": [[5.8, 2.8, 5.1, 2.4]], "explain": false}
--- response_body_like chomp
^\{"predictions":\[\{"prediction":2,"probabilities":\{[^}]*\}\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 8: "explain" must be a boolean
--- config
    location = /m {
        mlpredict $TEST_NGINX_MODELS/iris_forest.mlp;
        mlpredict_explain on;
    }
--- request
POST /m
{"instances": [[5.8, 2.8, 5.1, 2.4]], "explain": 1}
--- response_body_like chomp
^\{"error":"\\"explain\\" must be true or false, not a number"\}$
--- error_code: 400
--- no_error_log
[error]



=== TEST 9: KServe v1's :explain verb: the predictions and, a row each, the explanations
--- http_config
    mlpredict_model iris_forest $TEST_NGINX_MODELS/iris_forest.mlp;
--- config
    location /v1/models/ {
        mlpredict_api;
        mlpredict_explain on;
    }
--- request
POST /v1/models/iris_forest:explain
{"instances": [[5.8, 2.8, 5.1, 2.4]]}
--- more_headers
Content-Type: application/json
--- response_body_like chomp
^\{"predictions":\[\{"predict":2,"predict_proba":\[0,0\.02,0\.98\]\}\],"explanations":\[\{"contributions":\{"0":\{"sepal_length_cm":\-0\.03018246464\d*,"sepal_width_cm":\-0\.002141900510\d*,"petal_length_cm":\-0\.1407961894\d*,"petal_width_cm":\-0\.1575937311\d*\},"1":\{[^}]*\},"2":\{"sepal_length_cm":0\.01199827939\d*,"sepal_width_cm":0\.01028242659\d*,"petal_length_cm":0\.3151103367\d*,"petal_width_cm":0\.2833232429\d*\}\},"base_value":\{"0":0\.3307142857\d*,"1":(?:0\.3099999999\d*|0\.3100000000\d*),"2":0\.3592857142\d*\}\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 10: the Open Inference Protocol v2: "parameters": {"explain": true} adds the contributions and base_value tensors
--- http_config
    mlpredict_model iris_forest $TEST_NGINX_MODELS/iris_forest.mlp;
--- config
    location /v2/ {
        mlpredict_api;
        mlpredict_explain on;
    }
--- request
POST /v2/models/iris_forest/infer
{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP64", "data": [5.8, 2.8, 5.1, 2.4]}], "outputs": [{"name": "predict"}], "parameters": {"explain": true}}
--- more_headers
Content-Type: application/json
--- response_body_like chomp
^\{"model_name":"iris_forest","model_version":"1","outputs":\[\{"name":"predict","datatype":"INT64","shape":\[1\],"data":\[2\]\},\{"name":"contributions","datatype":"FP64","shape":\[1,3,4\],"data":\[\-0\.03018246464\d*,\-0\.002141900510\d*,\-0\.1407961894\d*,\-0\.1575937311\d*,[^\]]*,0\.3151103367\d*,0\.2833232429\d*\]\},\{"name":"base_value","datatype":"FP64","shape":\[1,3\],"data":\[0\.3307142857\d*,(?:0\.3099999999\d*|0\.3100000000\d*),0\.3592857142\d*\]\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 11: the protocol routes obey mlpredict_explain off: 403 on :explain
--- http_config
    mlpredict_model iris_forest $TEST_NGINX_MODELS/iris_forest.mlp;
--- config
    location /v1/models/ {
        mlpredict_api;
    }
--- request
POST /v1/models/iris_forest:explain
{"instances": [[5.8, 2.8, 5.1, 2.4]]}
--- more_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"explanations are off here \(mlpredict_explain off\)"\}$
--- error_code: 403
--- no_error_log
[error]



=== TEST 12: and 403 on v2 when an output asks for contributions
--- http_config
    mlpredict_model iris_forest $TEST_NGINX_MODELS/iris_forest.mlp;
--- config
    location /v2/ {
        mlpredict_api;
    }
--- request
POST /v2/models/iris_forest/infer
{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP64", "data": [5.8, 2.8, 5.1, 2.4]}], "outputs": [{"name": "contributions"}]}
--- more_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"explanations are off here \(mlpredict_explain off\)"\}$
--- error_code: 403
--- no_error_log
[error]



=== TEST 13: v2 "explain" must be a boolean; a model without an exact method answers 400 naming it
--- http_config
    mlpredict_model bc_svc $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
--- config
    location /v2/ {
        mlpredict_api;
        mlpredict_explain on;
    }
--- request eval
["POST /v2/models/bc_svc/infer\n" . '{"inputs": [{"name": "input", "shape": [1, 30], "datatype": "FP64", "data": [' . join(",", (1) x 30) . ']}], "parameters": {"explain": "yes"}}',
 "POST /v2/models/bc_svc/infer\n" . '{"inputs": [{"name": "input", "shape": [1, 30], "datatype": "FP64", "data": [' . join(",", (1) x 30) . ']}], "parameters": {"explain": true}}']
--- more_headers
Content-Type: application/json
--- response_body_like eval
[qr/^\{"error":"\\"explain\\" must be true or false, not a string"\}$/,
 qr/^\{"error":"this model cannot explain its predictions: a kernel svm \(kind svm\)[^"]*"\}$/]
--- error_code eval
[400, 400]
--- no_error_log
[error]



=== TEST 14: explanations bounded by their answer: 150,000 rows of iris_forest would be over 64 MiB of contributions, 413 before any is computed
--- config
    location = /m {
        client_max_body_size 16m;
        mlpredict $TEST_NGINX_MODELS/iris_forest.mlp;
        mlpredict_explain on;
        mlpredict_max_batch 1000000;
    }
--- request eval
"POST /m\n{\"explain\": true, \"instances\": [" . join(",", ("[5.8,2.8,5.1,2.4]") x 150000) . "]}"
--- response_body_like chomp
^\{"error":"150000 rows make explanations of \d+ bytes, over the 64 MiB an answer may take: send fewer rows"\}$
--- error_code: 413
--- no_error_log
[error]



=== TEST 15: the same rows without "explain" are answered
--- config
    location = /m {
        client_max_body_size 16m;
        mlpredict $TEST_NGINX_MODELS/iris_forest.mlp;
        mlpredict_explain on;
        mlpredict_max_batch 1000000;
    }
--- request eval
"POST /m\n{\"instances\": [" . join(",", ("[5.8,2.8,5.1,2.4]") x 150000) . "]}"
--- response_body_like chomp
^\{"predictions":\[\{"prediction":2,
--- error_code: 200
--- no_error_log
[error]



=== TEST 16: v2 "parameters": {"explain": true} at a location with mlpredict_explain off: 403
--- http_config
    mlpredict_model iris_forest $TEST_NGINX_MODELS/iris_forest.mlp;
--- config
    location /v2/ {
        mlpredict_api;
    }
--- request
POST /v2/models/iris_forest/infer
{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP64", "data": [5.8, 2.8, 5.1, 2.4]}], "parameters": {"explain": true}}
--- more_headers
Content-Type: application/json
--- response_body_like chomp
^\{"error":"explanations are off here \(mlpredict_explain off\)"\}$
--- error_code: 403
--- no_error_log
[error]



=== TEST 17: a CSV body on :explain where mlpredict_explain is off: 403
--- http_config
    mlpredict_model iris_forest $TEST_NGINX_MODELS/iris_forest.mlp;
--- config
    location /v1/models/ {
        mlpredict_api;
    }
--- request
POST /v1/models/iris_forest:explain
5.8,2.8,5.1,2.4
--- more_headers
Content-Type: text/csv
--- response_body_like chomp
^\{"error":"explanations are off here \(mlpredict_explain off\)"\}$
--- error_code: 403
--- no_error_log
[error]
