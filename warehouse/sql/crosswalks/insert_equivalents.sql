-- Bulk insert computed equivalents (parallel lists).
INSERT INTO skill_equivalents (framework_id, skill_id, other_framework_id, other_skill_id, rank,
                               match, similarity, matched_label, other_matched_label,
                               shared_occupations, occupations)
SELECT unnest($framework_id::VARCHAR[]), unnest($skill_id::VARCHAR[]),
       unnest($other_framework_id::VARCHAR[]), unnest($other_skill_id::VARCHAR[]),
       unnest($rank::INTEGER[]), unnest($match::VARCHAR[]), unnest($similarity::DOUBLE[]),
       unnest($matched_label::VARCHAR[]), unnest($other_matched_label::VARCHAR[]),
       unnest($shared_occupations::INTEGER[]), unnest($occupations::INTEGER[]);
