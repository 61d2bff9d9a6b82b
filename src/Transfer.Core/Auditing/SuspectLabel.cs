using Transfer.Images;

namespace Transfer.Auditing;

/// <summary>A training image whose given label the cross-validated head doubts (<see cref="LabelAuditResult.Suspects"/>).</summary>
/// <param name="Row">The image's row in the audited feature matrix.</param>
/// <param name="Image">The image.</param>
/// <param name="GivenLabel">The label it is filed under.</param>
/// <param name="SuggestedLabel">The most probable other class, by the head that did not see the image.</param>
/// <param name="Score">How suspect it is: 1 − <paramref name="GivenProbability"/> (self-confidence, as cleanlab ranks; higher: more likely mislabelled).</param>
/// <param name="GivenProbability">The out-of-fold probability of <paramref name="GivenLabel"/>.</param>
/// <param name="SuggestedProbability">The out-of-fold probability of <paramref name="SuggestedLabel"/>.</param>
/// <param name="IsLabelIssue">Whether confident learning counts it as a label issue: its suggested class's probability reaches that class's threshold (the mean probability the class's own images get) and beats every other class that does.</param>
public sealed record SuspectLabel(int Row, ImageEntry Image, string GivenLabel, string SuggestedLabel, float Score, float GivenProbability, float SuggestedProbability, bool IsLabelIssue);
