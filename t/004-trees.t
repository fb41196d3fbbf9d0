# Tree ensembles over HTTP: forests, boosting, multiclass, missing values,
# and the ensemble in the metadata. Labels are the data sets' own on rows
# any sane model gets right; numbers are checked against scikit-learn and
# XGBoost by t/parity.py and t/parity_xgboost.py.

use Test::Nginx::Socket 'no_plan';

repeat_each(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: random forest, one row of named features
--- config
    location = /forest {
        mlpredict $TEST_NGINX_MODELS/breast_cancer_forest.mlp;
    }
--- request
POST /forest
{"mean_radius":17.99,"mean_texture":10.38,"mean_perimeter":122.8,"mean_area":1001.0,"mean_smoothness":0.1184,"mean_compactness":0.2776,"mean_concavity":0.3001,"mean_concave_points":0.1471,"mean_symmetry":0.2419,"mean_fractal_dimension":0.07871,"radius_error":1.095,"texture_error":0.9053,"perimeter_error":8.589,"area_error":153.4,"smoothness_error":0.006399,"compactness_error":0.04904,"concavity_error":0.05373,"concave_points_error":0.01587,"symmetry_error":0.03003,"fractal_dimension_error":0.006193,"worst_radius":25.38,"worst_texture":17.33,"worst_perimeter":184.6,"worst_area":2019.0,"worst_smoothness":0.1622,"worst_compactness":0.6656,"worst_concavity":0.7119,"worst_concave_points":0.2654,"worst_symmetry":0.4601,"worst_fractal_dimension":0.1189}
--- response_body_like chomp
^\{"prediction":"malignant","probabilities":\{"benign":-?[0-9][0-9.e+-]*,"malignant":-?[0-9][0-9.e+-]*\}\}$
--- error_code: 200
--- no_error_log
[error]



=== TEST 2: multiclass forest, gradient boosting and histogram boosting
--- config
    location = /forest {
        mlpredict $TEST_NGINX_MODELS/iris_forest.mlp;
    }
    location = /gb {
        mlpredict $TEST_NGINX_MODELS/iris_gb.mlp;
    }
    location = /hgb {
        mlpredict $TEST_NGINX_MODELS/iris_hgb.mlp;
    }
--- request eval
["POST /forest\n{\"instances\": [[5.1, 3.5, 1.4, 0.2], [6.3, 3.3, 6.0, 2.5]]}",
 "POST /gb\n{\"instances\": [[5.1, 3.5, 1.4, 0.2], [6.3, 3.3, 6.0, 2.5]]}",
 "POST /hgb\n{\"instances\": [[5.1, 3.5, 1.4, 0.2], [6.3, 3.3, 6.0, 2.5]]}"]
--- response_body_like eval
[qr/^\{"predictions":\[\{"prediction":0,"probabilities":\{"0":[^}]*\}\},\{"prediction":2,/,
 qr/^\{"predictions":\[\{"prediction":"setosa","probabilities":\{"setosa":[^}]*\}\},\{"prediction":"virginica",/,
 qr/^\{"predictions":\[\{"prediction":0,"probabilities":\{"0":[^}]*\}\},\{"prediction":2,/]
--- error_code eval
[200, 200, 200]



=== TEST 3: a model with missing-value rules takes null and absent features
--- config
    location = /hgb {
        mlpredict $TEST_NGINX_MODELS/diabetes_hgb.mlp;
    }
--- request eval
["POST /hgb\n{\"features\": [0.038, null, 0.062, 0.022, -0.044, -0.035, -0.043, -0.003, 0.020, -0.018]}",
 "POST /hgb\n{\"age\": 0.038, \"bmi\": 0.062}",
 "POST /hgb\n{\"instances\": [[null, null, null, null, null, null, null, null, null, null]]}"]
--- response_body_like eval
[qr/^\{"prediction":-?[0-9][0-9.e+-]*\}$/, qr/^\{"prediction":-?[0-9][0-9.e+-]*\}$/, qr/^\{"predictions":\[-?[0-9][0-9.e+-]*\]\}$/]
--- error_code eval
[200, 200, 200]



=== TEST 4: a model without missing-value rules refuses null, names the feature
--- config
    location = /forest {
        mlpredict $TEST_NGINX_MODELS/iris_forest.mlp;
    }
--- request
POST /forest
{"features": [5.1, null, 1.4, 0.2]}
--- response_body
{"error":"feature \"sepal_width_cm\" is null: this model has no rule for missing values"}
--- error_code: 400



=== TEST 5: a value float32 cannot hold is refused, as scikit-learn refuses it
--- config
    location = /forest {
        mlpredict $TEST_NGINX_MODELS/iris_forest.mlp;
    }
--- request
POST /forest
{"features": [1e39, 3.5, 1.4, 0.2]}
--- response_body_like: ^\{"error":"feature values too large for this model
--- error_code: 400



=== TEST 6: the metadata describes the ensemble
--- config
    location = /forest {
        mlpredict $TEST_NGINX_MODELS/breast_cancer_forest.mlp;
    }
--- request
GET /forest
--- response_body_like chomp
^\{"file":"breast_cancer_forest\.mlp","kind":"tree_ensemble","task":"classification",.*"classes":\["benign","malignant"\],"link":"mean","preprocessing":\[\],"trees":\{"n_trees":100,"max_depth":10,"n_nodes":\d+,"n_leaves":\d+,"missing_values":"refused"\},"producer":\{"library":"scikit-learn",.*"estimator":"RandomForestClassifier".*\}\}$
--- error_code: 200



=== TEST 7: a regressor forest, and gradient boosting for a regression
--- config
    location = /forest {
        mlpredict $TEST_NGINX_MODELS/diabetes_forest.mlp;
    }
    location = /gb {
        mlpredict $TEST_NGINX_MODELS/diabetes_gb.mlp;
    }
--- request eval
["POST /forest\n{\"features\": [0.038, 0.051, 0.062, 0.022, -0.044, -0.035, -0.043, -0.003, 0.020, -0.018]}",
 "POST /gb\n{\"features\": [0.038, 0.051, 0.062, 0.022, -0.044, -0.035, -0.043, -0.003, 0.020, -0.018]}"]
--- response_body_like eval
[qr/^\{"prediction":-?[0-9][0-9.e+-]*\}$/, qr/^\{"prediction":-?[0-9][0-9.e+-]*\}$/]
--- error_code eval
[200, 200]
