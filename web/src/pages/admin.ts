import '../common/styles.css';
