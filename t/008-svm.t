# Support vector machines (kind 4) and decision answers over HTTP:
# scikit-learn's SVC with probabilities and with decision values, libsvm's
# own files converted by `mlpredict convert`. Expected numbers are
# scikit-learn's predict_proba / decision_function and libsvm's
# svm_predict_probability / svm_predict_values on the same rows, to 10
# significant digits (t/parity_svm.py checks every digit that matters).
#
# models/iris_libsvm.model and models/iris_oneclass_libsvm.model are
# Debian 12's svm-train (libsvm 3.24) on iris, raw features, labels 1 2 3:
#   svm-train -s 0 -t 2 -g 0.5 -b 1 iris.train iris_libsvm.model
#   svm-train -s 2 -t 2 -g 0.5 -n 0.1 iris.train iris_oneclass_libsvm.model
#   build/mlpredict convert --n-features 4 iris_libsvm.model iris_libsvm.mlp

use Test::Nginx::Socket 'no_plan';

repeat_each(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: multiclass SVC with probabilities, a batch
--- config
    location = /svc {
        mlpredict $TEST_NGINX_MODELS/iris_svc.mlp;
    }
--- request
POST /svc
{"instances": [[5.1, 3.5, 1.4, 0.2], [6.3, 3.3, 6.0, 2.5], [5.9, 3.0, 4.2, 1.5]]}
--- response_body_like chomp
^\{"predictions":\[\{"prediction":"setosa","probabilities":\{"setosa":0\.9723692809\d*,"versicolor":0\.01404982476\d*,"virginica":0\.01358089426\d*\}\},\{"prediction":"virginica","probabilities":\{"setosa":0\.01178973267\d*,"versicolor":0\.006633730417\d*,"virginica":0\.9815765369\d*\}\},\{"prediction":"versicolor","probabilities":\{"setosa":0\.01176421836\d*,"versicolor":0\.9435059728\d*,"virginica":0\.04472980877\d*\}\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 2: binary SVC without probabilities: the label and scikit-learn's decision value, named features
--- config
    location = /svc {
        mlpredict $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    }
--- request
POST /svc
{"mean_radius": 17.99, "mean_texture": 10.38, "mean_perimeter": 122.8, "mean_area": 1001.0, "mean_smoothness": 0.1184, "mean_compactness": 0.2776, "mean_concavity": 0.3001, "mean_concave_points": 0.1471, "mean_symmetry": 0.2419, "mean_fractal_dimension": 0.07871, "radius_error": 1.095, "texture_error": 0.9053, "perimeter_error": 8.589, "area_error": 153.4, "smoothness_error": 0.006399, "compactness_error": 0.04904, "concavity_error": 0.05373, "concave_points_error": 0.01587, "symmetry_error": 0.03003, "fractal_dimension_error": 0.006193, "worst_radius": 25.38, "worst_texture": 17.33, "worst_perimeter": 184.6, "worst_area": 2019.0, "worst_smoothness": 0.1622, "worst_compactness": 0.6656, "worst_concavity": 0.7119, "worst_concave_points": 0.2654, "worst_symmetry": 0.4601, "worst_fractal_dimension": 0.1189}
--- response_body_like chomp
^\{"prediction":"malignant","decision":1\.000028201\d*\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 3: binary decision values in a batch, both signs
--- config
    location = /svc {
        mlpredict $TEST_NGINX_MODELS/breast_cancer_svc_decision.mlp;
    }
--- request
POST /svc
{"instances": [[17.99, 10.38, 122.8, 1001.0, 0.1184, 0.2776, 0.3001, 0.1471, 0.2419, 0.07871, 1.095, 0.9053, 8.589, 153.4, 0.006399, 0.04904, 0.05373, 0.01587, 0.03003, 0.006193, 25.38, 17.33, 184.6, 2019.0, 0.1622, 0.6656, 0.7119, 0.2654, 0.4601, 0.1189], [13.54, 14.36, 87.46, 566.3, 0.09779, 0.08129, 0.06664, 0.04781, 0.1885, 0.05766, 0.2699, 0.7886, 2.058, 23.56, 0.008462, 0.0146, 0.02387, 0.01315, 0.0198, 0.0023, 15.11, 19.26, 99.7, 711.2, 0.144, 0.1773, 0.239, 0.1288, 0.2977, 0.07259]]}
--- response_body_like chomp
^\{"predictions":\[\{"prediction":"malignant","decision":1\.000028201\d*\},\{"prediction":"benign","decision":\-1\.354555240\d*\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 4: a libsvm model with probabilities, converted: libsvm's labels and its coupled probabilities
--- config
    location = /libsvm {
        mlpredict $TEST_NGINX_MODELS/iris_libsvm.mlp;
    }
--- request
POST /libsvm
{"instances": [[5.1, 3.5, 1.4, 0.2], [6.3, 3.3, 6.0, 2.5], [5.9, 3.0, 4.2, 1.5]]}
--- response_body_like chomp
^\{"predictions":\[\{"prediction":1,"probabilities":\{"1":0\.9737581268\d*,"2":0\.01268698097\d*,"3":0\.01355489218\d*\}\},\{"prediction":3,"probabilities":\{"1":0\.01356371976\d*,"2":0\.007776609822\d*,"3":0\.9786596704\d*\}\},\{"prediction":2,"probabilities":\{"1":0\.007950443951\d*,"2":0\.9798152603\d*,"3":0\.01223429574\d*\}\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 5: a libsvm one-class model: +1 or -1 and the decision value
--- config
    location = /oneclass {
        mlpredict $TEST_NGINX_MODELS/iris_oneclass_libsvm.mlp;
    }
--- request
POST /oneclass
{"instances": [[5.1, 3.5, 1.4, 0.2], [6.3, 3.3, 6.0, 2.5], [5.9, 3.0, 4.2, 1.5]]}
--- response_body_like chomp
^\{"predictions":\[\{"prediction":1,"decision":0\.3491351043\d*\},\{"prediction":-1,"decision":\-0\.05572699721\d*\},\{"prediction":1,"decision":0\.2887253061\d*\}\]\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 6: the metadata shows the kernel and its parameters
--- config
    location = /svc {
        mlpredict $TEST_NGINX_MODELS/iris_svc.mlp;
    }
--- request
GET /svc
--- response_body_like chomp
^\{"file":"iris_svc\.mlp","kind":"svm","task":"classification",.*"classes":\["setosa","versicolor","virginica"\],.*"producer":\{"library":"scikit-learn",.*"estimator":"SVC",.*"kernel":"rbf","gamma":0\.25,.*"n_support":\[8,18,16\],"probability":true.*\}\}$
--- error_code: 200



=== TEST 7: a converted libsvm model says where it came from
--- config
    location = /libsvm {
        mlpredict $TEST_NGINX_MODELS/iris_libsvm.mlp;
    }
--- request
GET /libsvm
--- response_body_like chomp
^\{"file":"iris_libsvm\.mlp","kind":"svm",.*"features":\["f1","f2","f3","f4"\],"classes":\[1,2,3\],.*"producer":\{"library":"libsvm","svm_type":"c_svc","kernel":"rbf","gamma":0\.5,"n_support_vectors":41,"labels":\[1,2,3\],"n_support":\[6,17,18\],"probability":true\}\}$
--- error_code: 200



=== TEST 8: a row of the wrong length is refused with 400
--- config
    location = /svc {
        mlpredict $TEST_NGINX_MODELS/iris_svc.mlp;
    }
--- request
POST /svc
{"features": [5.1, 3.5, 1.4]}
--- response_body
{"error":"\"features\": 3 values, the model takes 4"}
--- error_code: 400
