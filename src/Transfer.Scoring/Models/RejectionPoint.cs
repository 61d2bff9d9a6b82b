namespace Transfer.Models;

/// <summary>One point of the rejection trade-off curve.</summary>
/// <param name="Threshold">The threshold.</param>
/// <param name="FalseRejectionRate">The fraction of held-out known-class images scoring below it.</param>
/// <param name="AcceptedAccuracy">The accuracy on the held-out images at or above it (1 when none is).</param>
public sealed record RejectionPoint(float Threshold, double FalseRejectionRate, double AcceptedAccuracy);
