namespace Backprop.Training;

/// <summary>What one epoch of <see cref="Fit"/> measured (the lesson's <c>print(epoch, tot_loss/count, tot_acc/count)</c>).</summary>
/// <param name="Epoch">The epoch's number (counting from <see cref="FitOptions.FirstEpoch"/>).</param>
/// <param name="TrainLoss">The mean of the epoch's training batch losses (NaN for an empty loader).</param>
/// <param name="ValidLoss">The validation loss, averaged over samples (batch losses weighted by batch size); NaN without validation.</param>
/// <param name="ValidAccuracy">The fraction of validation samples classified right; NaN without validation.</param>
/// <param name="Seconds">Wall-clock time of the epoch, training and validation.</param>
public sealed record EpochResult(int Epoch, double TrainLoss, double ValidLoss, double ValidAccuracy, double Seconds);
