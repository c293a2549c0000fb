-- Bulk insert one framework's skills: every column but the first is a parallel list.
INSERT INTO skills (framework_id, skill_id, preferred_label, alt_labels, description,
                    skill_type, reuse_level, parent_id, collections)
SELECT $framework_id,
       unnest($skill_id::VARCHAR[]),
       unnest($preferred_label::VARCHAR[]),
       unnest($alt_labels::VARCHAR[][]),
       unnest($description::VARCHAR[]),
       unnest($skill_type::VARCHAR[]),
       unnest($reuse_level::VARCHAR[]),
       unnest($parent_id::VARCHAR[]),
       unnest($collections::VARCHAR[][]);
