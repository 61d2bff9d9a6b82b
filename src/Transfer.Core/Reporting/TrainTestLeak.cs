namespace Transfer.Reporting;

/// <summary>An image whose content is in both the training and the test set, which inflates test metrics.</summary>
/// <param name="ContentHash">The SHA-256 of the shared content, as hexadecimal.</param>
/// <param name="TrainSources">The paths or names of the copies in the training set.</param>
/// <param name="TestSources">The paths or names of the copies in the test set.</param>
public sealed record TrainTestLeak(string ContentHash, IReadOnlyList<string> TrainSources, IReadOnlyList<string> TestSources);
