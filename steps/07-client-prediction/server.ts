/**
 * Step 07, the server: step 06's, unchanged. Prediction and interpolation are
 * the client's work; the server already gives it what it needs: in every state,
 * the last input it has applied for each player (the ack), and the tick number.
 *
 *   npx tsx steps/07-client-prediction/server.ts [options]   (the same options as step 06's)
 */
import "../06-input-changes/server.ts";
