namespace Transfer.Cli.Output;

// The audit --json shape. Property names (camelCase) are a stable interface documented in docs/CLI.md: add, never rename.

/// <summary><c>audit --json</c>: what judged the labels, the counts, the top suspects and near-duplicate pairs, and the images skipped.</summary>
internal sealed record AuditJson(
    string Folder,
    string Backbone,
    string Judge,
    int Folds,
    double OutOfFoldAccuracy,
    float DuplicateThreshold,
    AuditCountsJson Counts,
    IReadOnlyList<SuspectJson> Suspects,
    IReadOnlyList<DuplicateJson> Duplicates,
    IReadOnlyList<SkippedJson> Skipped);

/// <summary>How many of each: images audited, suspects (all, not only the listed top), label issues, duplicate pairs, skipped images.</summary>
internal sealed record AuditCountsJson(int Images, int Classes, int Suspects, int LabelIssues, int Duplicates, int CrossClassDuplicates, int IdenticalDuplicates, int Skipped);

/// <summary>One suspect label: the image, its class folder, the class the cross-validated head prefers, and how suspect it is.</summary>
internal sealed record SuspectJson(string Image, string GivenLabel, string SuggestedLabel, float Score, float GivenProbability, float SuggestedProbability, bool LabelIssue);

/// <summary>One near-duplicate pair: both images, their cosine similarity, whether their classes differ and whether the files are identical.</summary>
internal sealed record DuplicateJson(string A, string B, string LabelA, string LabelB, float Similarity, bool CrossClass, bool Identical);
