namespace Backprop.Training;

/// <summary>Settings that cannot go together, such as resuming a checkpoint with a different model. The message says what to change.</summary>
/// <param name="message">The conflict and what to do.</param>
public sealed class TrainSettingsException(string message) : Exception(message);
