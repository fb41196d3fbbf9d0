# Dense networks (kind 5) over HTTP: scikit-learn's MLPClassifier and
# MLPRegressor (float64, models/make_examples.py: iris_mlp, diabetes_mlp),
# and a PyTorch network through ONNX (float32, models/iris_torch.onnx
# converted by `mlpredict convert`). Expected numbers: scikit-learn's
# predict_proba / predict on the same rows to 10 significant digits, and
# the torch model's own forward (make_examples.train_torch) to 5 (float32;
# t/parity_mlp.py and t/parity_onnx.py check every value that matters).

use Test::Nginx::Socket 'no_plan';

repeat_each(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: MLPClassifier behind a StandardScaler, a batch
--- config
    location = /mlp {
        mlpredict $TEST_NGINX_MODELS/iris_mlp.mlp;
    }
--- request
POST /mlp
{"instances": [[5.1, 3.5, 1.4, 0.2], [6.3, 3.3, 6.0, 2.5], [5.9, 3.0, 4.2, 1.5]]}
--- response_body_like chomp
^\{"predictions":\[\{"prediction":"setosa","probabilities":\{"setosa":0\.995546275\d*,"versicolor":0\.00404534351\d*,"virginica":0\.000408380620\d*\}\},\{"prediction":"virginica","probabilities":\{"setosa":0\.00284406736\d*,"versicolor":0\.0157414110\d*,"virginica":0\.981414521\d*\}\},\{"prediction":"versicolor","probabilities":\{"setosa":0\.0236496791\d*,"versicolor":0\.821571888\d*,"virginica":0\.154778432\d*\}\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 2: MLPRegressor, named features
--- config
    location = /mlp {
        mlpredict $TEST_NGINX_MODELS/diabetes_mlp.mlp;
    }
--- request
POST /mlp
{"age": 0.01991321417832592, "sex": 0.05068011873981862, "bmi": 0.10480868947391528, "bp": 0.07007229917592636, "s1": -0.035967781275239266, "s2": -0.02667890283117104, "s3": -0.024992656631590206, "s4": -0.002592261998183278, "s5": 0.0037090603325595967, "s6": 0.040343371647878594}
--- response_body_like chomp
^\{"prediction":198\.66263205\d*\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 3: a PyTorch network through ONNX, named features, a batch
--- config
    location = /torch {
        mlpredict $TEST_NGINX_MODELS/iris_torch.mlp;
    }
--- request
POST /torch
{"instances": [{"sepal_length_cm": 5.1, "sepal_width_cm": 3.5, "petal_length_cm": 1.4, "petal_width_cm": 0.2}, {"sepal_length_cm": 5.9, "sepal_width_cm": 3.0, "petal_length_cm": 4.2, "petal_width_cm": 1.5}]}
--- response_body_like chomp
^\{"predictions":\[\{"prediction":"setosa","probabilities":\{"setosa":0\.99999\d*,"versicolor":4\.136\d*e-07,"virginica":3\.957\d*e-11\}\},\{"prediction":"versicolor","probabilities":\{"setosa":0\.0029934\d*,"versicolor":0\.97332\d*,"virginica":0\.02367\d*\}\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 4: GET describes the ONNX network: layers, producer, opset, input and output names
--- config
    location = /torch {
        mlpredict $TEST_NGINX_MODELS/iris_torch.mlp;
    }
--- request
GET /torch
--- response_body_like chomp
"kind":"network".*"network":\{"dtype":"float32","n_parameters":\d+,"layers":\[\{"kind":"dense","width":32,"activation":"identity"\},\{"kind":"scale","width":32,"activation":"relu"\},\{"kind":"dense","width":3,"activation":"softmax"\}\]\}.*"producer":\{"library":"onnx","producer_name":"pytorch","producer_version":"[^"]+","opset":13,"ir_version":\d+,"graph":"[^"]*","input":"measurements","output":"species"\}
--- error_code: 200



=== TEST 5: GET describes the scikit-learn network
--- config
    location = /mlp {
        mlpredict $TEST_NGINX_MODELS/iris_mlp.mlp;
    }
--- request
GET /mlp
--- response_body_like chomp
"network":\{"dtype":"float64","n_parameters":243,"layers":\[\{"kind":"dense","width":16,"activation":"relu"\},\{"kind":"dense","width":8,"activation":"relu"\},\{"kind":"dense","width":3,"activation":"softmax"\}\]\}
--- error_code: 200



=== TEST 6: a row of the wrong width is the client's mistake
--- config
    location = /torch {
        mlpredict $TEST_NGINX_MODELS/iris_torch.mlp;
    }
--- request
POST /torch
{"features": [5.1, 3.5, 1.4]}
--- response_body_like chomp
^\{"error":".+"\}$
--- error_code: 400
