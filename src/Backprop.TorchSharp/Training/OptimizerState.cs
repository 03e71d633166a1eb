namespace Backprop.Training;

/// <summary>
/// The optimizer's state: plain SGD (the lesson's <c>optim.SGD(model.parameters(), lr)</c>) has no buffers, only its
/// learning rate and (zero) momentum.
/// </summary>
/// <param name="Kind">Always <c>sgd</c>.</param>
/// <param name="LearningRate">The learning rate.</param>
/// <param name="Momentum">The momentum (0: no momentum buffers to save).</param>
public sealed record OptimizerState(string Kind, double LearningRate, double Momentum);
