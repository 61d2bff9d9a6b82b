namespace Transfer.Reporting;

/// <summary>How many images one class has in the training and test sets.</summary>
/// <param name="Name">The class name.</param>
/// <param name="Train">Training images of the class (validation images included).</param>
/// <param name="Test">Test images of the class.</param>
public sealed record ClassCount(string Name, int Train, int Test);
