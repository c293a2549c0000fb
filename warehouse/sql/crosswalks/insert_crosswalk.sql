-- Bulk insert one occupation crosswalk (parallel lists of codes and confidences).
INSERT INTO occupation_crosswalks (crosswalk_id, source_framework, source_code,
                                   target_framework, target_code, confidence)
SELECT DISTINCT $crosswalk_id, $source_framework, unnest($source_code::VARCHAR[]),
       $target_framework, unnest($target_code::VARCHAR[]), unnest($confidence::DOUBLE[]);
