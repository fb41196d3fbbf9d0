# Predictions over HTTP: every request shape, every answer shape, metadata.
# Labels are checked against the data sets' own ground truth on rows any
# sane model gets right; the numbers themselves are checked against
# scikit-learn by t/parity.py.

use Test::Nginx::Socket 'no_plan';

repeat_each(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: one row of named features, classifier
--- config
    location = /bc {
        mlpredict $TEST_NGINX_MODELS/breast_cancer.mlp;
    }
--- more_headers
Content-Type: application/json
--- request
POST /bc
{"mean_radius":17.99,"mean_texture":10.38,"mean_perimeter":122.8,"mean_area":1001.0,"mean_smoothness":0.1184,"mean_compactness":0.2776,"mean_concavity":0.3001,"mean_concave_points":0.1471,"mean_symmetry":0.2419,"mean_fractal_dimension":0.07871,"radius_error":1.095,"texture_error":0.9053,"perimeter_error":8.589,"area_error":153.4,"smoothness_error":0.006399,"compactness_error":0.04904,"concavity_error":0.05373,"concave_points_error":0.01587,"symmetry_error":0.03003,"fractal_dimension_error":0.006193,"worst_radius":25.38,"worst_texture":17.33,"worst_perimeter":184.6,"worst_area":2019.0,"worst_smoothness":0.1622,"worst_compactness":0.6656,"worst_concavity":0.7119,"worst_concave_points":0.2654,"worst_symmetry":0.4601,"worst_fractal_dimension":0.1189}
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"prediction":"malignant","probabilities":\{"benign":-?[0-9][0-9.e+-]*,"malignant":0\.9[0-9.e+-]*\}\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 2: one row in model order, {"features": [...]}
--- config
    location = /bc {
        mlpredict $TEST_NGINX_MODELS/breast_cancer.mlp;
    }
--- more_headers
Content-Type: application/json; charset=utf-8
--- request
POST /bc
{"features": [13.54,14.36,87.46,566.3,0.09779,0.08129,0.06664,0.04781,0.1885,0.05766,0.2699,0.7886,2.058,23.56,0.008462,0.0146,0.02387,0.01315,0.0198,0.0023,15.11,19.26,99.7,711.2,0.144,0.1773,0.239,0.1288,0.2977,0.07259]}
--- response_body_like chomp
^\{"prediction":"benign","probabilities":\{"benign":0\.9[0-9.e+-]*,"malignant":-?[0-9][0-9.e+-]*\}\}$
--- error_code: 200



=== TEST 3: a batch, TF Serving style, rows as arrays and as objects
--- config
    location = /bc {
        mlpredict $TEST_NGINX_MODELS/breast_cancer.mlp;
    }
--- request
POST /bc
{"instances": [[13.54,14.36,87.46,566.3,0.09779,0.08129,0.06664,0.04781,0.1885,0.05766,0.2699,0.7886,2.058,23.56,0.008462,0.0146,0.02387,0.01315,0.0198,0.0023,15.11,19.26,99.7,711.2,0.144,0.1773,0.239,0.1288,0.2977,0.07259], {"mean_radius":17.99,"mean_texture":10.38,"mean_perimeter":122.8,"mean_area":1001.0,"mean_smoothness":0.1184,"mean_compactness":0.2776,"mean_concavity":0.3001,"mean_concave_points":0.1471,"mean_symmetry":0.2419,"mean_fractal_dimension":0.07871,"radius_error":1.095,"texture_error":0.9053,"perimeter_error":8.589,"area_error":153.4,"smoothness_error":0.006399,"compactness_error":0.04904,"concavity_error":0.05373,"concave_points_error":0.01587,"symmetry_error":0.03003,"fractal_dimension_error":0.006193,"worst_radius":25.38,"worst_texture":17.33,"worst_perimeter":184.6,"worst_area":2019.0,"worst_smoothness":0.1622,"worst_compactness":0.6656,"worst_concavity":0.7119,"worst_concave_points":0.2654,"worst_symmetry":0.4601,"worst_fractal_dimension":0.1189}]}
--- response_body_like chomp
^\{"predictions":\[\{"prediction":"benign","probabilities":\{[^}]*\}\},\{"prediction":"malignant","probabilities":\{[^}]*\}\}\]\}$
--- error_code: 200



=== TEST 4: no Content-Type is taken as JSON
--- config
    location = /bc {
        mlpredict $TEST_NGINX_MODELS/breast_cancer.mlp;
    }
--- request
POST /bc
{"features": [13.54,14.36,87.46,566.3,0.09779,0.08129,0.06664,0.04781,0.1885,0.05766,0.2699,0.7886,2.058,23.56,0.008462,0.0146,0.02387,0.01315,0.0198,0.0023,15.11,19.26,99.7,711.2,0.144,0.1773,0.239,0.1288,0.2977,0.07259]}
--- response_body_like: "prediction":"benign"
--- error_code: 200



=== TEST 5: regressor, one row and a batch
--- config
    location = /diabetes {
        mlpredict $TEST_NGINX_MODELS/diabetes.mlp;
    }
--- request
POST /diabetes
{"features": [0.038075906433423026,0.05068011873981862,0.061696206518683294,0.0218723855140367,-0.04422349842444599,-0.03482076283769895,-0.04340084565202491,-0.002592261998183278,0.019907486170462722,-0.01764612515980379]}
--- response_body_like chomp
^\{"prediction":-?[0-9][0-9.e+-]*\}$
--- error_code: 200



=== TEST 6: regressor batch answers bare numbers
--- config
    location = /diabetes {
        mlpredict $TEST_NGINX_MODELS/diabetes.mlp;
    }
--- request
POST /diabetes
{"instances": [[0.038075906433423026,0.05068011873981862,0.061696206518683294,0.0218723855140367,-0.04422349842444599,-0.03482076283769895,-0.04340084565202491,-0.002592261998183278,0.019907486170462722,-0.01764612515980379], [0.038075906433423026,0.05068011873981862,0.061696206518683294,0.0218723855140367,-0.04422349842444599,-0.03482076283769895,-0.04340084565202491,-0.002592261998183278,0.019907486170462722,-0.01764612515980379], [0.038075906433423026,0.05068011873981862,0.061696206518683294,0.0218723855140367,-0.04422349842444599,-0.03482076283769895,-0.04340084565202491,-0.002592261998183278,0.019907486170462722,-0.01764612515980379]]}
--- response_body_like chomp
^\{"predictions":\[(-?[0-9][0-9.e+-]*),\1,\1\]\}$
--- error_code: 200



=== TEST 7: three classes (multinomial), TF Serving's signature_name is accepted
--- config
    location = /iris {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }
--- request
POST /iris
{"signature_name": "serving_default", "instances": [
  {"sepal_length_cm": 5.1, "sepal_width_cm": 3.5, "petal_length_cm": 1.4, "petal_width_cm": 0.2},
  [6.3, 3.3, 6.0, 2.5]
]}
--- response_body_like chomp
^\{"predictions":\[\{"prediction":"setosa","probabilities":\{"setosa":-?[0-9][0-9.e+-]*,"versicolor":-?[0-9][0-9.e+-]*,"virginica":-?[0-9][0-9.e+-]*\}\},\{"prediction":"virginica",[^\]]*\]\}$
--- error_code: 200



=== TEST 8: integer class labels stay JSON numbers, keys are strings
--- config
    location = /iris {
        mlpredict $TEST_NGINX_MODELS/iris_ovr.mlp;
    }
--- request
POST /iris
{"features": [5.1, 3.5, 1.4, 0.2]}
--- response_body_like chomp
^\{"prediction":0,"probabilities":\{"0":-?[0-9][0-9.e+-]*,"1":-?[0-9][0-9.e+-]*,"2":-?[0-9][0-9.e+-]*\}\}$
--- error_code: 200



=== TEST 9: several targets answer an array per row
--- config
    location = /linnerud {
        mlpredict $TEST_NGINX_MODELS/linnerud.mlp;
    }
--- request
POST /linnerud
{"instances": [[5, 162, 60], {"Chins": 2, "Situps": 110, "Jumps": 43}]}
--- response_body_like chomp
^\{"predictions":\[\[-?[0-9][0-9.e+-]*,-?[0-9][0-9.e+-]*,-?[0-9][0-9.e+-]*\],\[-?[0-9][0-9.e+-]*,-?[0-9][0-9.e+-]*,-?[0-9][0-9.e+-]*\]\]\}$
--- error_code: 200



=== TEST 10: GET returns the model's metadata
--- config
    location = /bc {
        mlpredict $TEST_NGINX_MODELS/breast_cancer.mlp;
    }
--- request
GET /bc
--- response_headers
Content-Type: application/json
--- response_body_like chomp
^\{"file":"breast_cancer\.mlp","kind":"logistic_regression","task":"classification","format_version":1,"checksum":"crc32:[0-9a-f]{8}","size":\d+,"n_features":30,"features":\["mean_radius","mean_texture",.*"worst_fractal_dimension"\],"classes":\["benign","malignant"\],"link":"logistic","preprocessing":\["standard_scaler"\],"producer":\{"library":"scikit-learn",.*\}\}$
--- error_code: 200



=== TEST 11: HEAD answers the headers of GET
--- config
    location = /diabetes {
        mlpredict $TEST_NGINX_MODELS/diabetes.mlp;
    }
--- request
HEAD /diabetes
--- response_headers
Content-Type: application/json
--- response_body
--- error_code: 200



=== TEST 12: one model file named by two locations (two spellings of its path)
--- config
    location = /a {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }
    location = /b {
        mlpredict $TEST_NGINX_MODELS/../models/iris.mlp;
    }
--- request eval
["POST /a\n{\"features\": [5.1, 3.5, 1.4, 0.2]}",
 "POST /b\n{\"features\": [5.1, 3.5, 1.4, 0.2]}"]
--- response_body_like eval
[qr/^\{"prediction":"setosa"/, qr/^\{"prediction":"setosa"/]
--- error_code eval
[200, 200]



=== TEST 13: a body spooled to a temporary file is read
--- config
    client_body_buffer_size 1k;
    location = /iris {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
        mlpredict_max_batch 500;
    }
--- request eval
"POST /iris\n{\"instances\": [" . join(",", ("[5.1, 3.5, 1.4, 0.2]") x 300) . ", [6.3, 3.3, 6.0, 2.5]]}"
--- response_body_like chomp
^\{"predictions":\[(\{"prediction":"setosa",[^\]]*?\}\},){300}\{"prediction":"virginica",[^\]]*\]\}$
--- error_log
a client request body is buffered to a temporary file
--- error_code: 200



=== TEST 14: a chunked body
--- config
    location = /iris {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }
--- raw_request eval
"POST /iris HTTP/1.1\r
Host: localhost\r
Connection: close\r
Content-Type: application/json\r
Transfer-Encoding: chunked\r
\r
f\r
{\"features\": [5\r
13\r
.1, 3.5, 1.4, 0.2]}\r
0\r
\r
"
--- response_body_like: ^\{"prediction":"setosa"
--- error_code: 200



=== TEST 15: exact-form numbers: integers, exponents, negative zero
--- config
    location = /iris {
        mlpredict $TEST_NGINX_MODELS/iris.mlp;
    }
--- request
POST /iris
{"features": [51e-1, 3.5E0, 1.4, -0.0]}
--- response_body_like: ^\{"prediction":"setosa"
--- error_code: 200
