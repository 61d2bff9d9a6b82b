namespace Transfer.Heads;

/// <summary>One candidate of an <see cref="AutoHeadTrainer"/> selection and how it cross-validated.</summary>
/// <param name="Name">The candidate's short name (e.g. <c>lbfgs l2=0.01</c>, <c>mlp</c>).</param>
/// <param name="Description">The trainer's full description.</param>
/// <param name="LogLoss">The cross-validated log-loss (lower is better), or <see langword="null"/> when skipped.</param>
/// <param name="MicroAccuracy">The cross-validated micro-accuracy, or <see langword="null"/> when skipped.</param>
/// <param name="MacroAccuracy">The cross-validated macro-accuracy, or <see langword="null"/> when skipped.</param>
/// <param name="Seconds">The time its cross-validation took.</param>
/// <param name="Chosen">Whether this candidate was chosen.</param>
/// <param name="SkippedReason">Why it was not tried (the time budget ran out), or <see langword="null"/>.</param>
public sealed record HeadCandidateResult(string Name, string Description, double? LogLoss, double? MicroAccuracy, double? MacroAccuracy, double Seconds, bool Chosen, string? SkippedReason);
